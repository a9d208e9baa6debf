"""The retention policy (seed 004): free-plan files expire after GENERATION_FREE_RETENTION_DAYS;
paid plans' files are kept. A user who moved to a paid plan before the date keeps theirs."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from credits.services import plans as credit_plans
from generations.models import Asset, AssetStatus
from generations.services import assets as asset_services

BATCH = 500


def expire_assets(*, now: datetime | None = None) -> int:
    """Remove the files of assets past their expiry and mark them expired; returns how many."""
    now = now or timezone.now()
    expired = 0
    due = Asset.objects.filter(status=AssetStatus.ACTIVE, expires_at__lt=now).select_related("user")
    paid_users: dict = {}
    for asset in due.iterator(chunk_size=BATCH):
        if asset.user_id not in paid_users:
            paid_users[asset.user_id] = not credit_plans.watermark_required(user=asset.user)
        if paid_users[asset.user_id]:
            # Upgraded since: their files are kept from now on.
            Asset.objects.filter(user_id=asset.user_id, status=AssetStatus.ACTIVE).update(expires_at=None)
            continue
        names = asset_services.asset_file_names(asset)
        with transaction.atomic():
            changed = Asset.objects.filter(pk=asset.pk, status=AssetStatus.ACTIVE, expires_at__lt=now).update(
                status=AssetStatus.EXPIRED, file="", thumbnail="", updated_at=now
            )
            if changed:
                expired += 1
                transaction.on_commit(lambda names=names: asset_services.delete_files(names))
    return expired
