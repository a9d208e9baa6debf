from django.urls import path

from generations.api import files, generations, library, operations, storage

# Route names start with "api-". Each module adds its routes here: generations (request, status), library (assets, collections),
# operations (image operations, uploads).
urlpatterns: list = [
    # library.py: generations (read, rate, favourite, delete), assets, collections.
    # generations.py: request (POST on the list), price, status, variations.
    path("generations/", generations.GenerationCollectionView.as_view(), name="api-generations"),
    path("generations/price/", generations.GenerationPriceView.as_view(), name="api-generation-price"),
    path(
        "generations/<uuid:generation_id>/status/",
        generations.GenerationStatusView.as_view(),
        name="api-generation-status",
    ),
    path(
        "generations/<uuid:generation_id>/variations/",
        generations.GenerationVariationView.as_view(),
        name="api-generation-variations",
    ),
    path(
        "generations/<uuid:generation_id>/cancel/",
        generations.GenerationCancelView.as_view(),
        name="api-generation-cancel",
    ),
    path("generations/<uuid:generation_id>/", library.GenerationDetailView.as_view(), name="api-generation-detail"),
    path("generations/<uuid:generation_id>/rate/", library.GenerationRateView.as_view(), name="api-generation-rate"),
    path(
        "generations/<uuid:generation_id>/favorite/",
        library.GenerationFavoriteView.as_view(),
        name="api-generation-favorite",
    ),
    path("assets/", library.AssetListView.as_view(), name="api-assets"),
    path("assets/<uuid:asset_id>/", library.AssetDetailView.as_view(), name="api-asset-detail"),
    path("assets/<uuid:asset_id>/file/", files.AssetFileView.as_view(), name="api-asset-file"),
    path("assets/<uuid:asset_id>/favorite/", library.AssetFavoriteView.as_view(), name="api-asset-favorite"),
    path("collections/", library.CollectionListView.as_view(), name="api-collections"),
    path("collections/<uuid:collection_id>/", library.CollectionDetailView.as_view(), name="api-collection-detail"),
    path(
        "collections/<uuid:collection_id>/items/",
        library.CollectionItemsView.as_view(),
        name="api-collection-items",
    ),
    path(
        "collections/<uuid:collection_id>/items/<uuid:asset_id>/",
        library.CollectionItemView.as_view(),
        name="api-collection-item",
    ),
    path(
        "collections/<uuid:collection_id>/order/",
        library.CollectionOrderView.as_view(),
        name="api-collection-order",
    ),
    # operations.py: uploads and image operations.
    path("images/", operations.ImageListView.as_view(), name="api-images"),
    path("images/<uuid:asset_id>/operations/", operations.RequestOperationView.as_view(), name="api-image-operations"),
    path("operations/<uuid:operation_id>/", operations.OperationView.as_view(), name="api-operation"),
    path(
        "operations/<uuid:operation_id>/cancel/",
        operations.OperationCancelView.as_view(),
        name="api-operation-cancel",
    ),
    # storage.py: the storage quota (issue 11).
    path("storage/", storage.StorageView.as_view(), name="api-storage"),
]
