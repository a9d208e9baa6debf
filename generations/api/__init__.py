"""REST API for generations, assets, image operations and collections (routes in api/urls.py)."""
