"""The cache of rendered public pages, keyed by address; publishing and unpublishing forget it.

Two levels: the shared cache (Redis in production), and a small per-process copy kept for
`LOCAL_SECONDS`, so an ad burst on one page does not wait on a cache round trip per request. Forgetting
clears the shared entry and this process's copy; another web process serves its copy at most
`LOCAL_SECONDS` longer, which is how long a publish or a take-down takes to reach every process.
"""

import time
from collections import OrderedDict

from django.core.cache import cache

TTL_SECONDS = 30 * 60  # below signed media URLs' lifetime (AWS_QUERYSTRING_EXPIRE, 1 h by default)
LOCAL_SECONDS = 2.0
LOCAL_MAX = 256

_local: "OrderedDict[str, tuple[float, dict]]" = OrderedDict()


def key(handle: str, slug: str) -> str:
    return f"landing:page:{handle}:{slug}"


def get(handle: str, slug: str):
    name = key(handle, slug)
    found = _local.get(name)
    now = time.monotonic()
    if found is not None and found[0] > now:
        return found[1]
    entry = cache.get(name)
    if entry is not None:
        _remember(name, entry, now)
    return entry


def put(handle: str, slug: str, entry: dict) -> None:
    name = key(handle, slug)
    cache.set(name, entry, TTL_SECONDS)
    _remember(name, entry, time.monotonic())


def _remember(name: str, entry: dict, now: float) -> None:
    _local[name] = (now + LOCAL_SECONDS, entry)
    _local.move_to_end(name)
    while len(_local) > LOCAL_MAX:
        _local.popitem(last=False)


def forget(handle: str, slug: str) -> None:
    name = key(handle, slug)
    _local.pop(name, None)
    cache.delete(name)
