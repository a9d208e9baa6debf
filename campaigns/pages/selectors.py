"""Reads of landing pages shared by the pages and the API; every private read filters by owner."""

from __future__ import annotations

from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from campaigns.pages.models import LandingPage, PageComponent, PageHandle, SavedComponent


def pages_for_user(*, user) -> QuerySet[LandingPage]:
    return (
        LandingPage.objects.filter(user=user)
        .select_related("published_version")
        .annotate(lead_count=Count("leads", distinct=True))
    )


def get_page_for_user(*, user, page_id) -> LandingPage:
    return get_object_or_404(LandingPage.objects.select_related("published_version", "user"), pk=page_id, user=user)


def get_component_for_user(*, user, component_id) -> PageComponent:
    return get_object_or_404(
        PageComponent.objects.select_related("page", "page__user"), pk=component_id, page__user=user
    )


def handle_for(*, user) -> str:
    found = PageHandle.objects.filter(user=user).values_list("handle", flat=True).first()
    return found or ""


def public_page(*, handle: str, slug: str) -> LandingPage | None:
    return (
        LandingPage.objects.select_related("published_version", "user")
        .filter(user__page_handle__handle=handle, slug=slug)
        .first()
    )


def library(
    *, user, scope: str = "mine", component_type: str = "", tag: str = "", text: str = ""
) -> QuerySet[SavedComponent]:
    rows = SavedComponent.objects.select_related("user")
    rows = rows.filter(user=user) if scope == "mine" else rows.filter(is_public=True)
    if component_type:
        rows = rows.filter(component_type=component_type)
    if tag:
        rows = (
            rows.filter(tags__contains=[tag.lower()])
            if _json_contains_supported()
            else rows.filter(search_text__icontains=tag.lower())
        )
    for word in text.lower().split()[:5]:
        rows = rows.filter(search_text__contains=word)
    return rows


def _json_contains_supported() -> bool:
    return connection.vendor == "postgresql"


def get_saved_for_user(*, user, saved_id, shared_ok: bool = False) -> SavedComponent:
    query = Q(user=user) | Q(is_public=True) if shared_ok else Q(user=user)
    return get_object_or_404(SavedComponent.objects.filter(query), pk=saved_id)


def page_stats(*, user, page_ids=None) -> dict:
    """Visits, unique visitors, clicks and leads per page of the user (two queries whatever the count).

    Events are read through the reverse relation the analytics app declares (`events`), so this
    concern never imports analytics."""
    pages = LandingPage.objects.filter(user=user)
    if page_ids is not None:
        pages = pages.filter(pk__in=page_ids)
    stats = {
        row["pk"]: {
            "views": row["views"],
            "visitors": row["visitors"],
            "clicks": row["clicks"],
            "submits": row["submits"],
            "leads": 0,
        }
        for row in pages.values("pk").annotate(
            views=Count("events", filter=Q(events__event_type="view")),
            visitors=Count("events__visitor_hash", filter=Q(events__event_type="view"), distinct=True),
            clicks=Count("events", filter=Q(events__event_type="click")),
            submits=Count("events", filter=Q(events__event_type="submit")),
        )
    }
    for row in pages.values("pk").annotate(leads=Count("leads")):
        stats[row["pk"]]["leads"] = row["leads"]
    for value in stats.values():
        value["conversion_rate"] = round(100 * value["leads"] / value["visitors"], 1) if value["visitors"] else None
    return stats


def page_choices(*, user, published_only: bool = False) -> QuerySet[LandingPage]:
    rows = LandingPage.objects.filter(user=user)
    if published_only:
        rows = rows.filter(status="published")
    return rows.only("pk", "name").order_by("name")
