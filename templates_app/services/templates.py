"""Saving templates: the spec, its versions, the renders made from it, and the gallery flags."""

import hashlib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.postgres.search import SearchVector
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from PIL import Image

from accounts import services as account_services
from craftplatform.errors import DomainError
from templates_app import search_terms
from templates_app.errors import TemplateSpecError, TextDoesNotFit
from templates_app.models import AdCategory, AdTemplate, Category, TemplateSpecVersion
from templates_app.renderer import BrandStyle, RenderInputs, encode_image, render_ad
from templates_app.spec import (
    FORMAT_KEYS,
    FORMATS,
    SpecWarning,
    complete_formats,
    lint_layout,
    needs_product_photo,
    validate_spec,
)

logger = logging.getLogger(__name__)

# Stored previews are drawn at half size (540 px wide for 1:1): sharp on the detail page on
# high-density screens. The gallery thumbnail is the 1:1 preview reduced to THUMBNAIL_SIZE.
PREVIEW_SCALE = 0.5
THUMBNAIL_SIZE = 480
LIVE_PREVIEW_SCALE = 0.25
SEARCH_CONFIG = "english"
# Paths under /templates/ and /api/v1/templates/ that a slug must not shadow.
RESERVED_SLUGS = frozenset({"categories", "brand-fonts"})
MAX_TAGS = 20
GENERATED_FIELDS = [
    "spec",
    "render_spec",
    "spec_version",
    "native_formats",
    "adapted_formats",
    "thumbnail",
    "previews",
    "width",
    "height",
    "format",
    "usage_count",
    "best_ctr",
    "metric_impressions",
    "search_text",
    "search_vector",
]


class TemplateError(DomainError):
    default_message = "The template could not be saved."


class TemplateNotFound(TemplateError):
    default_message = "There is no such template."


class SlugTaken(TemplateError):
    default_message = "Another template has this slug already."


@dataclass(frozen=True)
class PreparedSpec:
    """A validated spec, completed to every format, with lint warnings and (optionally) its renders."""

    spec: dict
    render_spec: dict
    native_formats: list[str]
    adapted_formats: list[str]
    warnings: list[SpecWarning]
    renders: dict[str, bytes] | None = None  # format key -> WebP at PREVIEW_SCALE, plus "thumbnail"

    def with_renders(self) -> "PreparedSpec":
        if self.renders is not None:
            return self
        return PreparedSpec(
            spec=self.spec,
            render_spec=self.render_spec,
            native_formats=self.native_formats,
            adapted_formats=self.adapted_formats,
            warnings=self.warnings,
            renders=render_previews(self.render_spec),
        )


@dataclass
class SaveOutcome:
    template: AdTemplate
    created: bool
    spec_changed: bool
    rendered: bool
    warnings: list[SpecWarning] = field(default_factory=list)


def default_inputs() -> RenderInputs:
    """What a preview shows: every slot's default content on the default brand."""
    return RenderInputs(texts={}, images={}, colors={}, brand=BrandStyle.default())


def prepare_spec(spec: Any, *, render: bool = False) -> PreparedSpec:
    """Validate, complete and lint a spec; render its previews too when `render`. Pure: no database."""
    if not isinstance(spec, dict):
        raise TemplateSpecError([("", "The spec must be a JSON object.")])
    normalised = validate_spec(spec)
    render_spec, adapted = complete_formats(normalised)
    native = [key for key in FORMAT_KEYS if key in normalised.get("formats", {})]
    warnings = [warning for key in FORMAT_KEYS for warning in lint_layout(render_spec, key)]
    prepared = PreparedSpec(
        spec=normalised,
        render_spec=render_spec,
        native_formats=native,
        adapted_formats=[key for key in FORMAT_KEYS if key in adapted],
        warnings=warnings,
    )
    return prepared.with_renders() if render else prepared


def _render(render_spec: dict, format_key: str, scale: float) -> Image.Image:
    try:
        return render_ad(render_spec, format_key, default_inputs(), scale=scale).image
    except TextDoesNotFit as exc:
        # A template's own default text must fit every format: say so at the slot.
        raise TemplateSpecError([(f"slots.{exc.slot}.default", exc.message)]) from exc


def render_previews(render_spec: dict) -> dict[str, bytes]:
    """Every format's preview and the gallery thumbnail, as WebP bytes."""
    renders: dict[str, bytes] = {}
    for key in FORMAT_KEYS:
        image = _render(render_spec, key, PREVIEW_SCALE)
        renders[key] = encode_image(image, "webp", quality=85)
        if key == "1:1":
            thumbnail = image.convert("RGB").resize((THUMBNAIL_SIZE, THUMBNAIL_SIZE), Image.Resampling.LANCZOS)
            renders["thumbnail"] = encode_image(thumbnail, "webp", quality=80)
    return renders


def render_live_preview(spec: Any) -> tuple[PreparedSpec, dict[str, bytes]]:
    """The admin's live preview: each format of an unsaved spec at quarter size, as WebP bytes."""
    prepared = prepare_spec(spec)
    images = {
        key: encode_image(_render(prepared.render_spec, key, LIVE_PREVIEW_SCALE), "webp", quality=80)
        for key in FORMAT_KEYS
    }
    return prepared, images


class _RenderFiles:
    """Files one save writes: removed again when the save fails, so a failure leaves no orphans."""

    def __init__(self) -> None:
        self.written: list[str] = []

    def save(self, name: str, data: bytes) -> str:
        stored = default_storage.save(name, ContentFile(data))
        self.written.append(stored)
        return stored

    def discard(self) -> None:
        _delete_files(self.written)


def _delete_files(names: Iterable[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:
            logger.exception("Could not delete a template render", extra={"file_name": name})


def _file_token(key: str) -> str:
    return "thumb" if key == "thumbnail" else key.replace(":", "x")


def _store_renders(files: _RenderFiles, template: AdTemplate, renders: dict[str, bytes]) -> tuple[str, dict]:
    previews = {}
    thumbnail = ""
    for key, data in renders.items():
        digest = hashlib.sha256(data).hexdigest()[:10]
        name = f"templates/{template.slug}/v{template.spec_version}-{_file_token(key)}-{digest}.webp"
        stored = files.save(name, data)
        if key == "thumbnail":
            thumbnail = stored
        else:
            previews[key] = stored
    return thumbnail, previews


def _render_names(template: AdTemplate) -> set[str]:
    names = set((template.previews or {}).values())
    if template.thumbnail:
        names.add(template.thumbnail.name)
    return names


def build_search_text(template: AdTemplate) -> str:
    parts = [
        template.name,
        template.slug.replace("-", " "),
        template.description,
        " ".join(template.tags or []),
        template.get_industry_display(),
        template.get_style_display(),
        template.get_campaign_type_display(),
        search_terms.industry_words(template.industry),
    ]
    return "\n".join(part for part in parts if part)


def refresh_search_vector(*, template_ids: Iterable) -> None:
    """Rebuild the PostgreSQL search vector from the templates' name and search text."""
    if connection.vendor != "postgresql":
        return
    AdTemplate.objects.filter(pk__in=list(template_ids)).update(
        search_vector=SearchVector("name", weight="A", config=SEARCH_CONFIG)
        + SearchVector("search_text", weight="B", config=SEARCH_CONFIG)
    )


def normalise_tags(tags: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for tag in tags or []:
        cleaned = re.sub(r"\s+", " ", str(tag)).strip().lower()[:40]
        if cleaned and cleaned not in seen:
            seen.append(cleaned)
    return seen[:MAX_TAGS]


def _check_fields(template: AdTemplate) -> None:
    template.tags = normalise_tags(template.tags)
    if template.slug in RESERVED_SLUGS:
        raise TemplateError(f"The slug “{template.slug}” is reserved; choose another.")
    if AdTemplate.objects.filter(slug=template.slug).exclude(pk=template.pk).exists():
        raise SlugTaken(f"Another template has the slug “{template.slug}” already.")
    try:
        template.full_clean(exclude=GENERATED_FIELDS, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        problems = [f"{name}: {' '.join(messages)}" for name, messages in exc.message_dict.items()]
        raise TemplateError("; ".join(problems)) from exc


def _set_categories(template: AdTemplate, categories: Iterable[Category]) -> None:
    wanted = {category.pk for category in categories}
    current = set(AdCategory.objects.filter(template=template).values_list("category_id", flat=True))
    if current - wanted:
        AdCategory.objects.filter(template=template, category_id__in=current - wanted).delete()
    AdCategory.objects.bulk_create([AdCategory(template=template, category_id=pk) for pk in wanted - current])


def save_template(
    *,
    template: AdTemplate,
    spec: Any,
    categories: Iterable[Category] | None = None,
    actor=None,
    prepared: PreparedSpec | None = None,
    force_render: bool = False,
    request=None,
) -> SaveOutcome:
    """Create or update a template from an instance holding its editable fields, and its spec.

    The spec is validated (TemplateSpecError lists each problem), completed to every format and,
    when it changed, stored as the next version and rendered again (thumbnail and previews). All
    of it happens in one transaction of its own (it may not run inside another: the files it
    writes could not be removed if an outer transaction rolled back); the files of a failed save
    are deleted, and the renders a save replaces are deleted once it is committed.
    `categories` None leaves them as they are. `prepared` is a PreparedSpec of this very spec,
    when the caller has one already (the admin form renders it while validating).
    """
    _check_fields(template)
    if prepared is None or prepared.spec != validate_spec(spec):
        prepared = prepare_spec(spec)
    files = _RenderFiles()
    try:
        with transaction.atomic(durable=True):
            outcome = _save_locked(template, prepared, categories, actor, files, force_render, request)
    except BaseException:
        files.discard()
        raise
    return outcome


def _save_locked(template, prepared, categories, actor, files, force_render, request) -> SaveOutcome:
    current = AdTemplate.objects.select_for_update().filter(pk=template.pk).first()
    created = current is None
    if created:
        template.spec_version = 0
        template.previews = {}
        template.thumbnail = ""
        template.usage_count = 0
        spec_changed = True
    else:
        # What the service owns comes from the locked row, not from the caller's copy.
        for name in ("spec_version", "previews", "thumbnail", "usage_count", "best_ctr", "metric_impressions"):
            setattr(template, name, getattr(current, name))
        template.created_at = current.created_at
        spec_changed = current.spec != prepared.spec or current.render_spec != prepared.render_spec
    old_renders = set() if created else _render_names(current)
    must_render = spec_changed or force_render or not template.thumbnail or set(template.previews) != set(FORMAT_KEYS)

    template.spec = prepared.spec
    template.render_spec = prepared.render_spec
    template.native_formats = prepared.native_formats
    template.adapted_formats = prepared.adapted_formats
    template.needs_product_photo = needs_product_photo(prepared.spec)
    primary = FORMATS[prepared.native_formats[0]]
    template.format, template.width, template.height = primary.key, primary.width, primary.height
    if spec_changed:
        template.spec_version += 1
    if must_render:
        renders = prepared.with_renders().renders
        thumbnail, previews = _store_renders(files, template, renders)
        template.thumbnail = thumbnail
        template.previews = previews
    template.search_text = build_search_text(template)
    try:
        template.save(force_insert=created)
    except IntegrityError as exc:
        raise SlugTaken(f"Another template has the slug “{template.slug}” already.") from exc
    if spec_changed:
        TemplateSpecVersion.objects.create(
            template=template,
            version=template.spec_version,
            spec=prepared.spec,
            render_spec=prepared.render_spec,
            created_by=actor if actor is not None and actor.pk else None,
        )
    if categories is not None:
        _set_categories(template, categories)
    refresh_search_vector(template_ids=[template.pk])
    if must_render:
        replaced = old_renders - _render_names(template)
        if replaced:
            transaction.on_commit(lambda: _delete_files(replaced))
    if actor is not None:
        account_services.record_audit_event(
            actor=actor,
            action="template.created" if created else "template.updated",
            target=template,
            details={"spec_version": template.spec_version, "spec_changed": spec_changed},
            request=request,
        )
    return SaveOutcome(
        template=template,
        created=created,
        spec_changed=spec_changed,
        rendered=must_render,
        warnings=prepared.warnings,
    )


def save_template_spec(*, template: AdTemplate, spec: Any, actor=None, request=None) -> SaveOutcome:
    """Give an existing template a new spec (a new version when it differs), rendered again."""
    return save_template(template=template, spec=spec, actor=actor, request=request)


def create_template(
    *,
    slug: str,
    name: str,
    industry: str,
    style: str,
    campaign_type: str,
    spec: Any,
    description: str = "",
    tags: Iterable[str] = (),
    categories: Iterable[Category] = (),
    is_featured: bool = False,
    is_active: bool = True,
    metadata: dict | None = None,
    actor=None,
) -> AdTemplate:
    template = AdTemplate(
        slug=slug,
        name=name,
        description=description,
        industry=industry,
        style=style,
        campaign_type=campaign_type,
        tags=list(tags),
        is_featured=is_featured,
        is_active=is_active,
        metadata=metadata or {},
    )
    return save_template(template=template, spec=spec, categories=categories, actor=actor).template


def _free_slug(base: str) -> str:
    base = base[:110]
    taken = set(AdTemplate.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def duplicate_template(*, template: AdTemplate, actor=None, request=None) -> AdTemplate:
    """A copy to edit, hidden from the gallery (inactive, not featured) until staff activate it."""
    metadata = {key: value for key, value in (template.metadata or {}).items() if key != "library"}
    metadata["duplicated_from"] = str(template.pk)
    for _attempt in range(3):
        copy = AdTemplate(
            slug=_free_slug(f"{template.slug}-copy"),
            name=f"{template.name} (copy)"[:100],
            description=template.description,
            industry=template.industry,
            style=template.style,
            campaign_type=template.campaign_type,
            tags=list(template.tags or []),
            metadata=metadata,
            is_featured=False,
            is_active=False,
        )
        try:
            outcome = save_template(
                template=copy, spec=template.spec, categories=list(template.categories.all()), request=request
            )
        except SlugTaken:
            continue  # someone took the slug in the meantime: pick the next one
        if actor is not None:
            account_services.record_audit_event(
                actor=actor,
                action="template.duplicated",
                target=outcome.template,
                details={"from": str(template.pk), "from_slug": template.slug},
                request=request,
            )
        return outcome.template
    raise TemplateError("Could not find a free slug for the copy; try again.")


def _set_flag(*, templates, flag: str, value: bool, actor, request, action: str) -> int:
    ids = [template.pk for template in templates]
    changed = 0
    with transaction.atomic():
        for template in AdTemplate.objects.select_for_update().filter(pk__in=ids).order_by("pk"):
            if getattr(template, flag) == value:
                continue
            setattr(template, flag, value)
            template.save(update_fields=[flag, "updated_at"])
            changed += 1
            if actor is not None:
                account_services.record_audit_event(actor=actor, action=action, target=template, request=request)
    return changed


def set_featured(*, templates, featured: bool, actor=None, request=None) -> int:
    """Feature or unfeature templates; returns how many changed."""
    action = "template.featured" if featured else "template.unfeatured"
    return _set_flag(
        templates=templates, flag="is_featured", value=featured, actor=actor, request=request, action=action
    )


def set_active(*, templates, active: bool, actor=None, request=None) -> int:
    """Show templates in the gallery again, or take them out of it (the soft delete)."""
    action = "template.activated" if active else "template.deactivated"
    return _set_flag(templates=templates, flag="is_active", value=active, actor=actor, request=request, action=action)


def record_template_use(*, template_id) -> None:
    """Count one more generation made from the template (for the "most used" sort)."""
    AdTemplate.objects.filter(pk=template_id).update(usage_count=F("usage_count") + 1)
