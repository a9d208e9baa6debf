from django.urls import path

from generations.views import cancel, collections, customise, library, operations

app_name = "generations"

urlpatterns = [
    # customise.py: the customise page, its live preview, progress, status, variations.
    path("new/<slug:slug>/", customise.customise, name="customise"),
    path("new/<slug:slug>/preview/", customise.preview, name="preview"),
    path("<uuid:generation_id>/progress/", customise.progress, name="progress"),
    path("<uuid:generation_id>/status.json", customise.status, name="status"),
    path("<uuid:generation_id>/variation/", customise.variation, name="variation"),
    # cancel.py: cancelling a queued generation or image operation.
    path("<uuid:generation_id>/cancel/", cancel.cancel_generation, name="cancel"),
    path("operations/<uuid:operation_id>/cancel/", cancel.cancel_operation, name="cancel_operation"),
    # library.py: my generations, a generation's page, downloads, rating, delete, collections.
    path("", library.index, name="index"),
    path("<uuid:generation_id>/", library.detail, name="detail"),
    path("<uuid:generation_id>/download/", library.download_zip, name="download_zip"),
    path("<uuid:generation_id>/rate/", library.rate, name="rate"),
    path("<uuid:generation_id>/favorite/", library.favorite, name="favorite"),
    path("<uuid:generation_id>/delete/", library.delete, name="delete"),
    path("assets/<uuid:asset_id>/", library.asset, name="asset"),
    path("assets/<uuid:asset_id>/file/", library.asset_file, name="asset_file"),
    path("assets/<uuid:asset_id>/favorite/", library.asset_favorite, name="asset_favorite"),
    path("assets/<uuid:asset_id>/delete/", library.asset_delete, name="asset_delete"),
    path("collections/", collections.collections, name="collections"),
    path("collections/add/", collections.collection_add, name="collection_add"),
    path("collections/<uuid:collection_id>/", collections.collection, name="collection"),
    path("collections/<uuid:collection_id>/download/", collections.collection_download, name="collection_download"),
    path("collections/<uuid:collection_id>/rename/", collections.collection_rename, name="collection_rename"),
    path("collections/<uuid:collection_id>/delete/", collections.collection_delete, name="collection_delete"),
    path("collections/<uuid:collection_id>/remove/", collections.collection_remove, name="collection_remove"),
    path("collections/<uuid:collection_id>/move/", collections.collection_move, name="collection_move"),
    # operations.py: my images (uploads) and image operations.
    path("images/", operations.images, name="images"),
    path("assets/<uuid:asset_id>/operations/", operations.request_operation, name="request_operation"),
    path("operations/<uuid:operation_id>/", operations.operation, name="operation"),
]
