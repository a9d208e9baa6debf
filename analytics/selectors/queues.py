"""Queue depth read from the broker, and the oldest waiting job read from the jobs' own rows."""

from __future__ import annotations

import logging
from pathlib import Path

import redis
from django.conf import settings
from django.db.models import Min
from django.utils import timezone

from generations.models import Generation, GenerationStatus, ImageOperation, OperationStatus

logger = logging.getLogger(__name__)

QUEUES = ("generation", "sync", "default")
# Celery's Redis transport keeps a priority queue as several lists: the name, then name + separator + level.
PRIORITY_SEPARATOR = "\x06\x16"


def _redis_depths(url: str) -> dict[str, int | None]:
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
    try:
        depths = {}
        for queue in QUEUES:
            keys = [queue, *(f"{queue}{PRIORITY_SEPARATOR}{level}" for level in range(10))]
            with client.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.llen(key)
                depths[queue] = sum(pipe.execute())
        return depths
    finally:
        client.close()


def _filesystem_depths(folder: Path) -> dict[str, int | None]:
    depths: dict[str, int | None] = dict.fromkeys(QUEUES, 0)
    if not folder.is_dir():
        return depths
    for entry in folder.iterdir():
        for queue in QUEUES:
            if entry.name.endswith(f".{queue}.msg"):
                depths[queue] = (depths[queue] or 0) + 1
    return depths


def queue_depths() -> dict[str, int | None]:
    """Messages waiting per queue; None where the broker could not be read (said so on the page)."""
    url = settings.CELERY_BROKER_URL
    try:
        if url.startswith(("redis://", "rediss://")):
            return _redis_depths(url)
        if url.startswith("filesystem://"):
            return _filesystem_depths(Path(settings.CELERY_BROKER_DIR))
    except (redis.RedisError, OSError):
        logger.warning("Could not read the broker's queue depths", exc_info=True)
    return dict.fromkeys(QUEUES)


def oldest_waiting() -> dict[str, float | None]:
    """Seconds the oldest queued job of each kind has waited."""
    now = timezone.now()
    generation = Generation.objects.filter(status=GenerationStatus.QUEUED).aggregate(first=Min("created_at"))["first"]
    operation = ImageOperation.objects.filter(status=OperationStatus.QUEUED).aggregate(first=Min("created_at"))["first"]
    return {
        "generation": (now - generation).total_seconds() if generation else None,
        "image operation": (now - operation).total_seconds() if operation else None,
    }
