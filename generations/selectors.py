"""Reads that pages and the API share. Every one filters by the requesting user: another user's
generation, asset or collection answers 404 (DESIGN.md section 6)."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from generations.models import Asset, AssetStatus, Collection, Generation, ImageOperation


def generations_for_user(*, user) -> QuerySet[Generation]:
    return Generation.objects.filter(user=user).select_related("template")


def get_generation_for_user(*, user, generation_id) -> Generation:
    return get_object_or_404(generations_for_user(user=user), pk=generation_id)


def assets_for_user(*, user, include_expired: bool = False) -> QuerySet[Asset]:
    assets = Asset.objects.filter(user=user)
    if not include_expired:
        assets = assets.filter(status=AssetStatus.ACTIVE)
    return assets


def get_asset_for_user(*, user, asset_id, include_expired: bool = False) -> Asset:
    return get_object_or_404(assets_for_user(user=user, include_expired=include_expired), pk=asset_id)


def get_collection_for_user(*, user, collection_id) -> Collection:
    return get_object_or_404(Collection.objects.filter(user=user), pk=collection_id)


def get_operation_for_user(*, user, operation_id) -> ImageOperation:
    return get_object_or_404(
        ImageOperation.objects.filter(user=user).select_related("source", "result"), pk=operation_id
    )
