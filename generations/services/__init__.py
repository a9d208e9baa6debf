"""Writes with business rules for generations, assets, image operations and collections.

Modules: assets (storing and removing files), generation (request, job, variations, sweep,
retention), operations (uploads and image operations), library (rating, favourites, delete,
collections), providers (AI providers and their calls).
"""
