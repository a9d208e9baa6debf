"""The cache of rendered public pages, keyed by address; publishing and unpublishing forget it."""

from django.core.cache import cache

TTL_SECONDS = 30 * 60  # below signed media URLs' lifetime (AWS_QUERYSTRING_EXPIRE, 1 h by default)


def key(handle: str, slug: str) -> str:
    return f"landing:page:{handle}:{slug}"


def get(handle: str, slug: str):
    return cache.get(key(handle, slug))


def put(handle: str, slug: str, entry: dict) -> None:
    cache.set(key(handle, slug), entry, TTL_SECONDS)


def forget(handle: str, slug: str) -> None:
    cache.delete(key(handle, slug))
