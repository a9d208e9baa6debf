"""One stored copy per image a user uploads: uploads are matched by the SHA-256 of the stored bytes.

Uploading the same photo again returns the image already in the library (its retention is
extended to the new upload's); every reference to it (generations, collections, operations)
keeps working because nothing is replaced. A partial unique constraint on (user, content_hash)
for active uploads stands behind the check, so two requests racing with the same photo still
end with one row: the loser's files are removed and it returns the winner.
"""

import hashlib

from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Greatest

from generations.models import Asset, AssetKind, AssetStatus
from generations.services import assets as asset_services


def content_hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def existing_upload(*, user, digest: str, expires_at=None) -> Asset | None:
    """The user's active upload with these bytes, its expiry pushed to `expires_at` if later; None otherwise."""
    asset = Asset.objects.filter(
        user=user, kind=AssetKind.UPLOAD, status=AssetStatus.ACTIVE, content_hash=digest
    ).first()
    if asset is not None:
        _extend(asset, expires_at)
    return asset


def _extend(asset: Asset, expires_at) -> None:
    if asset.expires_at is None:
        return
    if expires_at is None:
        Asset.objects.filter(pk=asset.pk).update(expires_at=None)
    else:
        Asset.objects.filter(pk=asset.pk).update(expires_at=Greatest(F("expires_at"), expires_at))
    asset.refresh_from_db(fields=["expires_at"])


def insert_upload(row: Asset) -> Asset:
    """Insert a new upload row; when the same bytes won a race meanwhile, drop this copy and return that one."""
    try:
        with transaction.atomic():
            row.save(force_insert=True)
        return row
    except IntegrityError:
        winner = existing_upload(user=row.user, digest=row.content_hash, expires_at=row.expires_at)
        if winner is None:
            raise
        names = [name for name in (row.file.name, row.thumbnail.name) if name]
        transaction.on_commit(lambda: asset_services.delete_files(names))
        return winner
