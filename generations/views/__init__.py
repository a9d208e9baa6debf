"""Pages: customise and progress (customise.py), the user's library and collections (library.py),
uploads and image operations (operations.py)."""
