"""Every write to landing pages: the draft (components, order, undo), publishing and the library.

Each change to the draft keeps the state it replaced in `undo_state`, so the editor can undo the
last change; publishing freezes the draft into an immutable `PageVersion` and clears the public
page's cache.
"""

from __future__ import annotations

import json
import re
import secrets
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.constants import DEFAULT_PALETTE, DEFAULT_TYPOGRAPHY, PALETTE_KEYS
from campaigns.pages import components as schema
from campaigns.pages import public_cache, renditions
from campaigns.pages.errors import PageError
from campaigns.pages.handles import RESERVED, validate_handle, validate_slug
from campaigns.pages.models import LandingPage, PageComponent, PageHandle, PageStatus, PageVersion, SavedComponent
from campaigns.pages.starting_points import STARTING_POINTS
from generations.models import Asset, AssetStatus

CURRENCY = re.compile(r"^[A-Z]{3}$")
MAX_PAGES_PER_USER = 200


# --- handles -------------------------------------------------------------------------------


def ensure_handle(*, user) -> PageHandle:
    existing = PageHandle.objects.filter(user=user).first()
    if existing:
        return existing
    base = re.sub(r"[^a-z0-9]+", "-", user.email.split("@")[0].lower()).strip("-")[:30] or "page"
    if len(base) < 3 or base in RESERVED:
        base = f"{base}-pages".strip("-")
    for attempt in range(20):
        candidate = base if attempt == 0 else f"{base}-{secrets.token_hex(2)}"
        try:
            with transaction.atomic():
                return PageHandle.objects.create(user=user, handle=candidate)
        except IntegrityError:
            existing = PageHandle.objects.filter(user=user).first()
            if existing:
                return existing
    raise PageError("No free handle could be found; choose one in the pages settings.")


@transaction.atomic
def set_handle(*, user, handle: str) -> PageHandle:
    handle = validate_handle(handle)
    current = ensure_handle(user=user)
    if current.handle == handle:
        return current
    if PageHandle.objects.filter(handle=handle).exclude(user=user).exists():
        raise PageError("That handle is taken: choose another.")
    old = current.handle
    current.handle = handle
    try:
        with transaction.atomic():
            current.save(update_fields=["handle", "updated_at"])
    except IntegrityError:
        raise PageError("That handle is taken: choose another.") from None
    for slug in LandingPage.objects.filter(user=user).values_list("slug", flat=True):
        transaction.on_commit(lambda slug=slug: public_cache.forget(old, slug))
    return current


def _forget(handle: str, slug: str) -> None:
    """Drop the cached public page now and again after commit (a request between the two may have
    cached the old version)."""
    public_cache.forget(handle, slug)
    transaction.on_commit(lambda: public_cache.forget(handle, slug))


# --- pages ---------------------------------------------------------------------------------


def _snapshot(page: LandingPage) -> dict[str, Any]:
    return {
        "components": [
            {"id": str(c.pk), "type": c.component_type, "props": c.props}
            for c in page.components.order_by("position", "created_at")
        ]
    }


def _lock(page: LandingPage) -> LandingPage:
    return LandingPage.objects.select_for_update().get(pk=page.pk)


def _changed(page: LandingPage, before: dict[str, Any]) -> None:
    """Record the state before this change (for undo) and check the page's total size."""
    rows = list(page.components.all())
    if len(rows) > schema.MAX_COMPONENTS:
        raise PageError(f"A page holds at most {schema.MAX_COMPONENTS} components.")
    size = sum(len(json.dumps(row.props)) for row in rows)
    if size > schema.MAX_PAGE_BYTES:
        raise PageError(
            f"The page is too large ({size // 1000} KB of content; the limit is {schema.MAX_PAGE_BYTES // 1000} KB)."
        )
    page.undo_state = before
    page.draft_revision += 1
    page.save(update_fields=["undo_state", "draft_revision", "updated_at"])


def _check_images(*, user, component_type: str, props: dict[str, Any]) -> None:
    ids = schema.image_ids(component_type, props)
    if not ids:
        return
    active = Asset.objects.filter(user=user, pk__in=ids, status=AssetStatus.ACTIVE)
    found = {str(pk) for pk in active.values_list("pk", flat=True)}
    missing = [name for name in ids if name not in found]
    if missing:
        raise schema.ComponentError(errors={"image": "not an image of yours (or it has expired)"})


@transaction.atomic
def create_page(*, user, name: str, slug: str = "", starting_point: str = "") -> LandingPage:
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise PageError("Give the page a name (at most 120 characters).")
    if schema.MARKUP.search(name):
        raise PageError("HTML is not allowed in the name.")
    slug = validate_slug(slug or re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60], what="page address")
    if starting_point and starting_point not in STARTING_POINTS:
        raise PageError("Unknown starting point.")
    if LandingPage.objects.filter(user=user).count() >= MAX_PAGES_PER_USER:
        raise PageError(f"You can keep at most {MAX_PAGES_PER_USER} pages.")
    if LandingPage.objects.filter(user=user, slug=slug).exists():
        raise PageError(f"You already have a page at “{slug}”: choose another address.")
    ensure_handle(user=user)
    page = LandingPage.objects.create(user=user, name=name, slug=slug, title=name, starting_point=starting_point)
    if starting_point:
        brand_name = getattr(getattr(user, "brand_profile", None), "name", "") or ""
        for position, (component_type, props) in enumerate(STARTING_POINTS[starting_point].components):
            props = dict(props)
            if component_type == "header" and not props.get("brand_name"):
                props["brand_name"] = brand_name[:80]
            PageComponent.objects.create(
                page=page,
                position=position,
                component_type=component_type,
                props=schema.validate_props(component_type, props),
            )
    return page


@transaction.atomic
def update_page_settings(*, page: LandingPage, data: dict[str, Any]) -> LandingPage:
    page = _lock(page)
    errors: dict[str, str] = {}
    for field_name, limit in (("name", 120), ("title", 120), ("description", 300)):
        if field_name in data:
            value = " ".join(str(data[field_name] or "").split())
            if schema.MARKUP.search(value):
                errors[field_name] = "HTML is not allowed: write plain text"
            elif len(value) > limit:
                errors[field_name] = f"at most {limit} characters"
            elif field_name == "name" and not value:
                errors[field_name] = "required"
            else:
                setattr(page, field_name, value)
    if "slug" in data and data["slug"] != page.slug:
        try:
            slug = validate_slug(str(data["slug"]), what="page address")
        except PageError as exc:
            errors["slug"] = exc.message
        else:
            if LandingPage.objects.filter(user=page.user, slug=slug).exclude(pk=page.pk).exists():
                errors["slug"] = "you already have a page at this address"
            elif page.published_version_id:
                errors["slug"] = "take the page down before changing its address"
            else:
                page.slug = slug
    if "conversion_type" in data:
        value = str(data["conversion_type"] or "").strip().lower()
        if not re.fullmatch(r"[a-z_]{1,40}", value):
            errors["conversion_type"] = "letters and underscores, e.g. lead or signup"
        else:
            page.conversion_type = value
    if "conversion_value" in data:
        try:
            value = Decimal(str(data["conversion_value"] or "0"))
            if value < 0 or value >= Decimal("1e10") or value != value.quantize(Decimal("0.01")):
                raise InvalidOperation
            page.conversion_value = value
        except (InvalidOperation, ValueError):
            errors["conversion_value"] = "a positive amount with at most two decimals"
    if "currency" in data:
        value = str(data["currency"] or "").strip().upper()
        if not CURRENCY.match(value):
            errors["currency"] = "a three-letter currency code such as USD or EUR"
        else:
            page.currency = value
    if "lead_retention_days" in data:
        try:
            value = int(data["lead_retention_days"])
            if not 0 <= value <= 3650:
                raise ValueError
            page.lead_retention_days = value
        except (TypeError, ValueError):
            errors["lead_retention_days"] = "a number of days from 0 (keep) to 3650"
    if "notify_owner" in data:
        page.notify_owner = bool(data["notify_owner"])
    if errors:
        raise schema.ComponentError(errors=errors)
    page.save()
    return page


@transaction.atomic
def add_component(
    *, page: LandingPage, component_type: str, props: dict | None = None, position: int | None = None
) -> PageComponent:
    page = _lock(page)
    cleaned = schema.validate_props(component_type, schema.default_props(component_type) if props is None else props)
    _check_images(user=page.user, component_type=component_type, props=cleaned)
    before = _snapshot(page)
    rows = list(page.components.order_by("position", "created_at"))
    position = len(rows) if position is None else max(0, min(position, len(rows)))
    component = PageComponent(page=page, component_type=component_type, props=cleaned, position=position)
    rows.insert(position, component)
    component.save()
    _renumber(rows)
    _changed(page, before)
    return component


def _renumber(rows: list[PageComponent]) -> None:
    changed = []
    for index, row in enumerate(rows):
        if row.position != index:
            row.position = index
            changed.append(row)
    if changed:
        PageComponent.objects.bulk_update(changed, ["position"])


@transaction.atomic
def update_component(*, component: PageComponent, props: dict[str, Any]) -> PageComponent:
    page = _lock(component.page)
    component = PageComponent.objects.get(pk=component.pk, page=page)
    cleaned = schema.validate_props(component.component_type, props)
    _check_images(user=page.user, component_type=component.component_type, props=cleaned)
    if cleaned == component.props:
        return component
    before = _snapshot(page)
    component.props = cleaned
    component.save(update_fields=["props", "updated_at"])
    _changed(page, before)
    return component


@transaction.atomic
def move_component(*, component: PageComponent, offset: int) -> None:
    page = _lock(component.page)
    rows = list(page.components.order_by("position", "created_at"))
    index = next(i for i, row in enumerate(rows) if row.pk == component.pk)
    target = max(0, min(len(rows) - 1, index + offset))
    if target == index:
        return
    before = _snapshot(page)
    rows.insert(target, rows.pop(index))
    _renumber(rows)
    _changed(page, before)


@transaction.atomic
def remove_component(*, component: PageComponent) -> None:
    page = _lock(component.page)
    before = _snapshot(page)
    PageComponent.objects.filter(pk=component.pk, page=page).delete()
    _renumber(list(page.components.order_by("position", "created_at")))
    _changed(page, before)


@transaction.atomic
def undo_last_change(*, page: LandingPage) -> bool:
    page = _lock(page)
    state = page.undo_state
    if not state:
        return False
    page.components.all().delete()
    PageComponent.objects.bulk_create(
        PageComponent(pk=item["id"], page=page, position=index, component_type=item["type"], props=item["props"])
        for index, item in enumerate(state["components"])
    )
    page.undo_state = None
    page.draft_revision += 1
    page.save(update_fields=["undo_state", "draft_revision", "updated_at"])
    return True


def brand_snapshot(user) -> dict[str, Any]:
    profile = getattr(user, "brand_profile", None)
    palette = {key: (profile.colour(key) if profile else DEFAULT_PALETTE[key]) for key in PALETTE_KEYS}
    typography = dict(DEFAULT_TYPOGRAPHY) | dict((profile.typography if profile else {}) or {})
    return {
        "name": (profile.name if profile else "") or "",
        "palette": palette,
        "heading_font": str(typography.get("heading_font") or "Inter")[:60],
        "body_font": str(typography.get("body_font") or "Inter")[:60],
        "logo": profile.logo.name if profile and profile.logo else "",
    }


@transaction.atomic
def publish_page(*, page: LandingPage, by=None) -> PageVersion:
    page = _lock(page)
    rows = list(page.components.order_by("position", "created_at"))
    if not rows:
        raise PageError("Add at least one component before publishing.")
    items = []
    for row in rows:  # re-checked: the schema may have tightened since the draft was saved
        props = schema.validate_props(row.component_type, row.props)
        _check_images(user=page.user, component_type=row.component_type, props=props)
        items.append({"id": str(row.pk), "type": row.component_type, "props": props})
    brand = brand_snapshot(page.user)
    image_ids = sorted({image for item in items for image in schema.image_ids(item["type"], item["props"])})
    images = renditions.make_renditions(user=page.user, asset_ids=image_ids, logo=brand["logo"])
    number = (page.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    version = PageVersion.objects.create(
        page=page,
        number=number,
        draft_revision=page.draft_revision,
        title=page.title or page.name,
        description=page.description,
        components=items,
        brand=brand,
        images=images,
        published_by=by,
    )
    page.published_version = version
    page.status = PageStatus.PUBLISHED
    page.published_at = timezone.now()
    page.save(update_fields=["published_version", "status", "published_at", "updated_at"])
    handle = ensure_handle(user=page.user).handle
    _forget(handle, page.slug)
    return version


@transaction.atomic
def unpublish_page(*, page: LandingPage) -> LandingPage:
    page = _lock(page)
    if page.status != PageStatus.PUBLISHED:
        return page
    page.status = PageStatus.UNPUBLISHED
    page.save(update_fields=["status", "updated_at"])
    handle = ensure_handle(user=page.user).handle
    _forget(handle, page.slug)
    return page


@transaction.atomic
def delete_page(*, page: LandingPage) -> None:
    page = _lock(page)
    handle = ensure_handle(user=page.user).handle
    slug = page.slug
    names = renditions.page_file_names(page)
    page.delete()
    transaction.on_commit(lambda: (public_cache.forget(handle, slug), renditions.delete_files(names)))


# --- component library ---------------------------------------------------------------------

TAG = re.compile(r"^[a-z0-9][a-z0-9 -]{0,29}$")


def _clean_tags(tags: list[str] | str) -> list[str]:
    if isinstance(tags, str):
        tags = tags.split(",")
    cleaned = []
    for tag in tags:
        tag = " ".join(str(tag).lower().split())
        if not tag:
            continue
        if not TAG.match(tag):
            raise PageError(f"Tag “{tag[:30]}”: use letters, digits, spaces and hyphens (at most 30).")
        if tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > 10:
        raise PageError("At most 10 tags.")
    return cleaned


def _search_text(name: str, component_type: str, tags: list[str], props: dict) -> str:
    words = [name, component_type, *tags]

    def walk(value):
        if isinstance(value, str):
            words.append(value)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)

    walk(props)
    return " ".join(words).lower()[:5000]


@transaction.atomic
def save_to_library(
    *, component: PageComponent, name: str, tags: list[str] | str = "", is_public: bool = False
) -> SavedComponent:
    name = " ".join((name or "").split())
    if not name or len(name) > 80 or schema.MARKUP.search(name):
        raise PageError("Name the component in plain text (at most 80 characters).")
    tags = _clean_tags(tags)
    props = schema.validate_props(component.component_type, component.props)
    if is_public:
        # Images are the user's own files: a shared component carries the layout and words only.
        for key, prop in schema.component_type(component.component_type).props.items():
            if prop.kind == "image":
                props[key] = None
    return SavedComponent.objects.create(
        user=component.page.user,
        name=name,
        component_type=component.component_type,
        props=props,
        tags=tags,
        is_public=is_public,
        search_text=_search_text(name, component.component_type, tags, props),
    )


@transaction.atomic
def update_saved_component(
    *, saved: SavedComponent, name: str, tags: list[str] | str, is_public: bool
) -> SavedComponent:
    name = " ".join((name or "").split())
    if not name or len(name) > 80 or schema.MARKUP.search(name):
        raise PageError("Name the component in plain text (at most 80 characters).")
    saved.name = name
    saved.tags = _clean_tags(tags)
    if is_public:
        for key, prop in schema.component_type(saved.component_type).props.items():
            if prop.kind == "image":
                saved.props[key] = None
    saved.is_public = is_public
    saved.search_text = _search_text(saved.name, saved.component_type, saved.tags, saved.props)
    saved.save()
    return saved


@transaction.atomic
def copy_saved_component(*, saved: SavedComponent, page: LandingPage, user) -> PageComponent:
    """Put a copy of a saved (own or shared) component on one of the user's pages."""
    if saved.user_id != user.pk and not saved.is_public:
        raise PageError("That component is not shared.")
    if page.user_id != user.pk:
        raise PageError("Not your page.")
    props = dict(saved.props)
    if saved.user_id != user.pk:
        for key, prop in schema.component_type(saved.component_type).props.items():
            if prop.kind == "image":
                props[key] = None
    component = add_component(page=page, component_type=saved.component_type, props=props)
    SavedComponent.objects.filter(pk=saved.pk).update(copies=F("copies") + 1)
    return component
