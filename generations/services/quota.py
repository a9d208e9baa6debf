"""Upload limits as the library applies them: the rate (craftplatform.uploads) and the plan's storage
quota (credits.services.storage), turned into the library's own refusal (UploadRejected), and the
library's share of a user's storage.

`upload_images` calls `check_rate` before reading any file and `check_room` once the files are
cleaned and their sizes known; a refusal stores nothing.
"""

from django.db.models import Sum

from craftplatform import uploads
from credits.services import storage
from generations.errors import UploadRejected
from generations.models import Asset, AssetStatus


class UploadsTooFast(UploadRejected):
    """The upload rate limit: the API answers 429 with Retry-After."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__([("", message)])
        self.retry_after = retry_after


def check_rate(*, user, files: int) -> None:
    try:
        uploads.check_upload_rate(user=user, files=files)
    except uploads.UploadRateLimited as exc:
        raise UploadsTooFast(exc.message, retry_after=exc.retry_after) from exc


def check_room(*, user, sizes: list[int]) -> None:
    try:
        storage.check_room(user=user, incoming=sum(sizes))
    except storage.StorageFull as exc:
        raise UploadRejected([("", exc.message)]) from exc


def library_bytes(user) -> int:
    """Bytes of the user's stored assets (uploads, results, AI images, operation results)."""
    total = Asset.objects.filter(user=user, status=AssetStatus.ACTIVE).aggregate(total=Sum("size_bytes"))["total"]
    return int(total or 0)
