from generations.views import customise, library, operations  # noqa: F401

app_name = "generations"

urlpatterns = [
    # customise.py: the customise page, its live preview, progress, status, variations.
    # library.py: my generations, a generation's page, downloads, rating, delete, collections.
    # operations.py: my images (uploads) and image operations.
]
