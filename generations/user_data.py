"""What generations keeps about a user, for "download my data" and "delete my account": their
generations with the lineage to make them again, their assets' metadata, their collections, and
every stored file name (files and thumbnails) so deleting the account removes them from storage.

Left out: credit holds and what a provider cost us (internal), request keys (idempotency tokens).
"""

from craftplatform import uploads, user_data
from generations.models import Asset, Collection, CollectionItem, Generation
from generations.services.assets import asset_file_names
from generations.services.quota import library_bytes


def _iso(value):
    return value.isoformat() if value else None


def _id(value):
    return str(value) if value else None


def export_generations(user) -> dict:
    generations = Generation.objects.filter(user=user).select_related("template").order_by("created_at", "pk")
    assets = Asset.objects.filter(user=user).order_by("created_at", "pk")
    collections = Collection.objects.filter(user=user).order_by("name", "pk")
    items = CollectionItem.objects.filter(collection__user=user).order_by("position", "created_at", "pk")
    assets_of: dict = {}
    for item in items:
        assets_of.setdefault(item.collection_id, []).append(str(item.asset_id))
    return {
        "generations": [
            {
                "id": str(generation.pk),
                "template": generation.template.slug,
                "template_name": generation.template.name,
                "spec_version": generation.spec_version,
                "parent": _id(generation.parent_id),
                "variation_kind": generation.variation_kind,
                "status": generation.status,
                "formats": generation.formats,
                "customization_data": generation.customization_data,
                "prompt_data": generation.prompt_data,
                "parameters": generation.parameters,
                "brand_snapshot": generation.brand_snapshot,
                "seed": generation.seed,
                "provider": generation.provider,
                "ai_model": generation.ai_model,
                "watermarked": generation.watermarked,
                "credits_used": generation.credits_used,
                "rating": generation.rating,
                "feedback": generation.feedback,
                "is_favorite": generation.is_favorite,
                "error_message": generation.error_message,
                "created_at": _iso(generation.created_at),
                "completed_at": _iso(generation.completed_at),
            }
            for generation in generations
        ],
        "assets": [
            {
                "id": str(asset.pk),
                "kind": asset.kind,
                "generation": _id(asset.generation_id),
                "source": _id(asset.source_id),
                "format_key": asset.format_key,
                "file": asset.file.name or None,
                "original_filename": asset.original_filename,
                "mime_type": asset.mime_type,
                "file_format": asset.file_format,
                "size_bytes": asset.size_bytes,
                "width": asset.width,
                "height": asset.height,
                "metadata": asset.metadata,
                "status": asset.status,
                "expires_at": _iso(asset.expires_at),
                "is_favorite": asset.is_favorite,
                "created_at": _iso(asset.created_at),
            }
            for asset in assets
        ],
        "collections": [
            {
                "id": str(collection.pk),
                "name": collection.name,
                "description": collection.description,
                "assets": assets_of.get(collection.pk, []),
                "created_at": _iso(collection.created_at),
            }
            for collection in collections
        ],
    }


def generation_files(user) -> list[str]:
    """Every stored file of the user's assets, thumbnails included, expired ones too (a file may remain)."""
    return [
        name for asset in Asset.objects.filter(user=user).only("file", "thumbnail") for name in asset_file_names(asset)
    ]


user_data.register("generations", export=export_generations, files=generation_files)
uploads.register_usage("generations", library_bytes)  # storage quota (issue 11)
