"""Reads that pages and the API share. Every one filters by the requesting user: another user's
generation, asset or collection answers 404 (DESIGN.md section 6)."""

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from django.core.paginator import Page, Paginator
from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery, UUIDField
from django.shortcuts import get_object_or_404
from django.urls import reverse

from credits.models import CreditHold
from generations import status_text
from generations.models import (
    Asset,
    AssetKind,
    AssetStatus,
    Collection,
    CollectionItem,
    Generation,
    GenerationStatus,
    ImageOperation,
    VariationKind,
)
from generations.services import providers as provider_services


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


# -- the library: my generations, a generation's page, assets, collections --------------------------

LIBRARY_PAGE_SIZE = 24


@dataclass(frozen=True)
class LibraryFilters:
    """What "my generations" is narrowed to; empty values filter nothing."""

    status: str = ""
    template_id: UUID | None = None
    format: str = ""
    date_from: date | None = None
    date_to: date | None = None
    favorites: bool = False

    @property
    def active(self) -> bool:
        return any([self.status, self.template_id, self.format, self.date_from, self.date_to, self.favorites])


def _results_prefetch() -> Prefetch:
    """A generation's rendered files, as `result_assets`."""
    return Prefetch(
        "assets",
        queryset=Asset.objects.filter(kind=AssetKind.RESULT).order_by("created_at", "pk"),
        to_attr="result_assets",
    )


def generations_with_results(*, user, ids) -> QuerySet[Generation]:
    """These generations of the user with their results loaded (`result_assets`)."""
    return generations_for_user(user=user).filter(pk__in=ids).prefetch_related(_results_prefetch())


def ordered_results(generation: Generation) -> list[Asset]:
    """The results of a generation loaded with `result_assets`, in the order its formats were asked for."""
    order = {key: index for index, key in enumerate(generation.formats or [])}
    return sorted(generation.result_assets, key=lambda asset: order.get(asset.format_key, len(order)))


def cover_asset(generation: Generation) -> Asset | None:
    """The picture of a generation on its card: the square result, else the first format's."""
    results = ordered_results(generation)
    for asset in results:
        if asset.format_key == "1:1":
            return asset
    return results[0] if results else None


def library_generations(*, user, filters: LibraryFilters) -> QuerySet[Generation]:
    generations = generations_for_user(user=user)
    if filters.status:
        generations = generations.filter(status=filters.status)
    if filters.template_id:
        generations = generations.filter(template_id=filters.template_id)
    if filters.format:
        # `formats` is a JSON list of keys; the quoted key matches one element exactly ("1:1" is not
        # part of "11:1") on PostgreSQL and SQLite alike, where `contains` on JSON is PostgreSQL-only.
        generations = generations.filter(formats__icontains=f'"{filters.format}"')
    if filters.date_from:
        generations = generations.filter(created_at__date__gte=filters.date_from)
    if filters.date_to:
        generations = generations.filter(created_at__date__lte=filters.date_to)
    if filters.favorites:
        generations = generations.filter(is_favorite=True)
    return generations.prefetch_related(_results_prefetch()).order_by("-created_at", "-pk")


def library_page(*, user, filters: LibraryFilters, page_number) -> Page:
    """One page of my generations, each with `cover` (its card picture): three queries (count, rows, files)."""
    page = Paginator(library_generations(user=user, filters=filters), LIBRARY_PAGE_SIZE).get_page(page_number)
    page.object_list = list(page.object_list)
    for generation in page.object_list:
        generation.cover = cover_asset(generation)
    return page


def templates_used_by(*, user) -> list[tuple[UUID, str]]:
    """The templates this user has generated from, as (id, name), for the library's template filter."""
    rows = (
        generations_for_user(user=user)
        .order_by("template__name", "template_id")
        .values_list("template_id", "template__name")
        .distinct()
    )
    return list(rows)


def generation_detail_for_user(*, user, generation_id) -> Generation:
    """A generation for its page, with `result_assets`, `variation_list` and its parent's template."""
    variations = Generation.objects.filter(user=user).select_related("template").order_by("created_at", "pk")
    return get_object_or_404(
        generations_for_user(user=user)
        .select_related("parent__template")
        .prefetch_related(_results_prefetch(), Prefetch("variations", queryset=variations, to_attr="variation_list")),
        pk=generation_id,
    )


def input_assets_for(*, user, generation: Generation) -> dict[str, Asset | None]:
    """The images a generation was made with, by slot; None where the image no longer exists."""
    images = (generation.customization_data or {}).get("images") or {}
    if not isinstance(images, dict) or not images:
        return {}
    wanted = {slot: str(asset_id) for slot, asset_id in images.items() if asset_id}
    valid_ids = []
    for asset_id in wanted.values():
        try:
            valid_ids.append(UUID(asset_id))
        except ValueError:
            continue
    found = {str(asset.pk): asset for asset in Asset.objects.filter(user=user, pk__in=valid_ids)}
    return {slot: found.get(asset_id) for slot, asset_id in wanted.items()}


def collection_choices(*, user) -> list[Collection]:
    """The user's collections by name, for "add to collection" forms (one query)."""
    return list(Collection.objects.filter(user=user).only("pk", "name").order_by("name"))


def asset_detail_for_user(*, user, asset_id) -> Asset:
    """An asset for its page, expired ones included (the page says so), with what it was made from
    (`source`), what was made from it (`derived_list`) and the collections holding it (`holding_items`)."""
    derived = Asset.objects.filter(user=user).order_by("created_at", "pk")
    holding = (
        CollectionItem.objects.filter(collection__user=user).select_related("collection").order_by("collection__name")
    )
    return get_object_or_404(
        Asset.objects.filter(user=user)
        .select_related("generation__template", "source")
        .prefetch_related(
            Prefetch("derived", queryset=derived, to_attr="derived_list"),
            Prefetch("collection_items", queryset=holding, to_attr="holding_items"),
        ),
        pk=asset_id,
    )


def collections_for_user(*, user) -> QuerySet[Collection]:
    """The user's collections by name, each with `item_count` and `cover_asset_id` (its first image
    still on file), in one query."""
    first_item = (
        CollectionItem.objects.filter(collection=OuterRef("pk"), asset__status=AssetStatus.ACTIVE)
        .order_by("position", "created_at")
        .values("asset_id")[:1]
    )
    return (
        Collection.objects.filter(user=user)
        # output_field: SQLite hands a bare UUID subquery back as hex text otherwise.
        .annotate(item_count=Count("items"), cover_asset_id=Subquery(first_item, output_field=UUIDField()))
        .order_by("name", "pk")
    )


def collection_detail_for_user(*, user, collection_id) -> Collection:
    """A collection with its items in order (`ordered_items`, each with its asset): two queries."""
    items = CollectionItem.objects.select_related("asset__generation__template").order_by(
        "position", "created_at", "pk"
    )
    return get_object_or_404(
        Collection.objects.filter(user=user).prefetch_related(
            Prefetch("items", queryset=items, to_attr="ordered_items")
        ),
        pk=collection_id,
    )


# -- jobs -------------------------------------------------------------------------------------------


def queue_position(generation: Generation) -> int | None:
    """1 for the next job to run; None once it runs. Workers take paid plans' jobs first (a lower
    `priority`), then the oldest: the jobs ahead are those of a lower priority, and older ones of the same."""
    if generation.status != GenerationStatus.QUEUED:
        return None
    queued = Generation.objects.filter(status=GenerationStatus.QUEUED)
    ahead = Q(priority__lt=generation.priority)
    if generation.queued_at is None:
        ahead |= Q(priority=generation.priority, queued_at__isnull=False)
    else:
        ahead |= Q(priority=generation.priority, queued_at__lt=generation.queued_at)
    return queued.filter(ahead).count() + 1


def unsettled_holds(generation: Generation) -> list[CreditHold]:
    return list(CreditHold.objects.filter(pk__in=generation.job_hold_ids()))


def variation_options(generation: Generation) -> list[dict]:
    """The kinds of "more like this" and whether each applies to this generation, with the reason
    when it does not (the page shows them all, the ones that do not apply switched off)."""
    features = provider_services.feature_status()
    has_background = bool((generation.customization_data.get("ai") or {}).get("background"))
    options = [
        {
            "value": VariationKind.PALETTE,
            "label": "Palette variant",
            "available": True,
            "reason": "Your brand colours in another arrangement.",
        },
        {
            "value": VariationKind.COPY,
            "label": "Copy variant",
            "available": features["ai_copy"].available,
            "reason": "New words in your brand's voice."
            if features["ai_copy"].available
            else features["ai_copy"].message,
        },
        {
            "value": VariationKind.SEED,
            "label": "New seed",
            "available": has_background and features["ai_image"].available,
            "reason": "A new AI background." if has_background else "Only for ads with an AI background.",
        },
    ]
    return options


def status_payload(generation: Generation) -> dict:
    """Where a generation is, for the page's live status and the API: queued (and its place),
    per-format progress, done with its files, or failed with what the user should know."""
    assets = []
    if generation.status == GenerationStatus.COMPLETED:
        for asset in generation.assets.filter(kind=AssetKind.RESULT).order_by("format_key"):
            file_url = reverse("generations:asset_file", args=[asset.pk])
            assets.append(
                {
                    "id": str(asset.pk),
                    "format": asset.format_key,
                    "width": asset.width,
                    "height": asset.height,
                    "url": file_url,
                    "thumbnail_url": f"{file_url}?thumb=1",
                    "download_url": f"{file_url}?download=1",
                }
            )
    formats = generation.formats
    described = status_text.describe(generation)  # the one source of the status' words
    done = described.done
    return {
        "id": str(generation.pk),
        "status": generation.status,
        "status_label": described.label,
        "queue_position": queue_position(generation),
        "formats": formats,
        "progress": {key: generation.progress.get(key, "queued") for key in formats},
        "formats_done": done,
        "formats_total": len(formats),
        "error": generation.error_message,
        "credits_quoted": generation.credits_quoted,
        "credits_used": generation.credits_used,
        "assets": assets,
        "page_url": reverse("generations:detail", args=[generation.pk]),
    }
