"""How much a user may store, by plan, and the check every upload makes before storing anything.

A plan's `storage_quota_mb` sets its quota; left blank, the free tier gets STORAGE_QUOTA_FREE_MB and
paid tiers STORAGE_QUOTA_PAID_MB. 0 means no limit. Usage is what the apps report
(craftplatform.uploads): uploads, generated results, thumbnails, brand fonts. Uploads are refused
when they would not fit; generated results are paid for with credits and never refused here, but
count towards the total, so a full library takes no more uploads until files are deleted.

The check runs before the files are stored, without a lock: two uploads at the very same moment
can each pass, so the quota can be overshot by at most one request's worth of files.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from accounts.models import User
from craftplatform import uploads
from craftplatform.errors import DomainError
from credits.constants import Tier
from credits.services import plans

MB = 1024 * 1024


class StorageFull(DomainError):
    default_message = "Your storage is full."


@dataclass(frozen=True)
class StorageUsage:
    used: int
    quota: int  # 0: no limit

    @property
    def limited(self) -> bool:
        return self.quota > 0

    @property
    def free(self) -> int:
        return max(0, self.quota - self.used) if self.limited else 0

    @property
    def percent(self) -> int:
        return min(100, round(self.used * 100 / self.quota)) if self.limited else 0

    @property
    def full(self) -> bool:
        return self.limited and self.used >= self.quota

    @property
    def label(self) -> str:
        """'1.2 GB of 5 GB' (or '120 MB used' with no limit)."""
        if not self.limited:
            return f"{uploads.human_bytes(self.used)} used"
        return f"{uploads.human_bytes(self.used)} of {uploads.human_bytes(self.quota)}"


def quota_bytes(*, user: User) -> int:
    plan = plans.plan_for_user(user)
    if plan is not None and plan.storage_quota_mb is not None:
        return int(plan.storage_quota_mb) * MB
    free = plan is None or plan.tier == Tier.FREE
    return int(settings.STORAGE_QUOTA_FREE_MB if free else settings.STORAGE_QUOTA_PAID_MB) * MB


def usage(*, user: User) -> StorageUsage:
    return StorageUsage(used=uploads.bytes_used(user), quota=quota_bytes(user=user))


def check_room(*, user: User, incoming: int) -> StorageUsage:
    """Raise StorageFull when `incoming` more bytes would not fit in the user's quota."""
    current = usage(user=user)
    if current.limited and current.used + incoming > current.quota:
        needed = uploads.human_bytes(incoming)
        raise StorageFull(
            f"Not enough storage for this upload: you use {current.label} and it needs {needed} more. "
            "Delete files from your library or move to a larger plan; nothing was stored.",
            code="storage_full",
        )
    return current
