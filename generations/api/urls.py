from django.urls import path  # noqa: F401

# Route names start with "api-". Each module adds its routes here: generations (request, status), library (assets, collections),
# operations (image operations, uploads).
urlpatterns: list = []
