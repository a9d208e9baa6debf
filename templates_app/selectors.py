"""Reads of templates for the gallery, the detail page and the API.

Every read takes the requesting user: inactive templates exist only for staff, and
favourites are the user's own. Each function runs a fixed number of queries whatever
the filters (the gallery: one count, one page of rows, one for their categories).
"""

import re
from dataclasses import dataclass, replace

from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramStrictWordSimilarity
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast
from django.http import Http404

from accounts.models import BusinessProfile
from templates_app import sqlite_search
from templates_app.constants import CampaignType, Industry, TemplateStyle
from templates_app.models import (
    AdCategory,
    AdMetric,
    AdTemplate,
    BrandFont,
    Category,
    FavoriteTemplate,
    TemplateSpecVersion,
)
from templates_app.services.templates import SEARCH_CONFIG
from templates_app.spec import FORMAT_KEYS

PAGE_SIZE = 24
MAX_QUERY_LENGTH = 100


class Sort:
    FEATURED = "featured"
    NEWEST = "newest"
    MOST_USED = "most_used"
    BEST_CTR = "best_ctr"
    RELEVANCE = "relevance"

    CHOICES = [
        (FEATURED, "Featured"),
        (NEWEST, "Newest"),
        (MOST_USED, "Most used"),
        (BEST_CTR, "Best click-through rate"),
        (RELEVANCE, "Best match"),
    ]


ORDERINGS = {
    Sort.FEATURED: (F("is_featured").desc(), F("usage_count").desc(), F("created_at").desc(), F("id").desc()),
    Sort.NEWEST: (F("created_at").desc(), F("id").desc()),
    Sort.MOST_USED: (F("usage_count").desc(), F("created_at").desc(), F("id").desc()),
    # By the CTR's lower confidence bound: a small lucky sample does not beat a large good one.
    Sort.BEST_CTR: (
        F("ctr_lower_bound").desc(nulls_last=True),
        F("metric_impressions").desc(),
        F("created_at").desc(),
        F("id").desc(),
    ),
}


@dataclass(frozen=True)
class GalleryFilters:
    category: str = ""
    industry: str = ""
    style: str = ""
    campaign_type: str = ""
    format: str = ""
    q: str = ""
    favorites: bool = False
    no_product_photo: bool = False  # only templates that need no product photo of the user's
    sort: str = ""

    def __post_init__(self) -> None:
        # Values that are not choices are ignored rather than refused: a stale link still opens.
        checks = {
            "industry": Industry.values,
            "style": TemplateStyle.values,
            "campaign_type": CampaignType.values,
            "format": FORMAT_KEYS,
        }
        for name, allowed in checks.items():
            if getattr(self, name) not in allowed:
                object.__setattr__(self, name, "")
        object.__setattr__(self, "q", " ".join(self.q.split())[:MAX_QUERY_LENGTH])
        if self.sort not in (*ORDERINGS, Sort.RELEVANCE) or (self.sort == Sort.RELEVANCE and not self.q):
            object.__setattr__(self, "sort", Sort.RELEVANCE if self.q else Sort.FEATURED)

    @property
    def active(self) -> bool:
        """Whether anything narrows the gallery (the sort does not)."""
        return any(
            [
                self.category,
                self.industry,
                self.style,
                self.campaign_type,
                self.format,
                self.q,
                self.favorites,
                self.no_product_photo,
            ]
        )

    def without(self, name: str) -> "GalleryFilters":
        return replace(self, **{name: False if name in ("favorites", "no_product_photo") else ""})


def _visible_templates(user) -> QuerySet[AdTemplate]:
    templates = AdTemplate.objects.all()
    if not user.is_staff:
        templates = templates.filter(is_active=True)
    return templates


def _with_favorite(templates: QuerySet[AdTemplate], user) -> QuerySet[AdTemplate]:
    if not user.is_authenticated:
        return templates.annotate(is_favorite=Value(False, output_field=BooleanField()))
    return templates.annotate(
        is_favorite=Exists(FavoriteTemplate.objects.filter(user=user, template=OuterRef("pk"))),
    )


def active_categories() -> list[Category]:
    return list(Category.objects.filter(is_active=True).order_by("display_order", "name"))


def _categories_prefetch() -> Prefetch:
    return Prefetch("categories", queryset=Category.objects.filter(is_active=True).order_by("display_order", "name"))


PLAIN_WORDS = re.compile(r"[^\W_]+")
# Near-misses: a query word this close to a whole word of the template's text counts as that
# word ("piza" finds "pizza", "backery" finds "bakery", but not "back"). pg_trgm's strict word
# similarity on PostgreSQL; in the embedded SQLite fallback, difflib's ratio against the
# library's words, used only for a word that appears in no template.
NEAR_MISS_MIN_LENGTH = 4
TRIGRAM_WORD_SIMILARITY = 0.45
SQLITE_CLOSE_MATCH = 0.75


def _search_postgres(templates: QuerySet[AdTemplate], q: str) -> QuerySet[AdTemplate]:
    words = PLAIN_WORDS.findall(q)
    if not words or " ".join(words) != q:
        # Quotes, "or", "-word": web search syntax, exact words only.
        query = SearchQuery(q, search_type="websearch", config=SEARCH_CONFIG)
        return templates.filter(search_vector=query).annotate(rank=SearchRank(F("search_vector"), query))
    # Plain words: each must match the template, as a word or prefix of one ("burg" finds "Burger
    # night"), a form of it ("bakeries" finds "bakery"), or a near-miss of a word in its text.
    for index, word in enumerate(words):
        match = Q(search_vector=SearchQuery(f"{word}:*", search_type="raw", config=SEARCH_CONFIG))
        if len(word) >= NEAR_MISS_MIN_LENGTH:
            templates = templates.alias(**{f"near_{index}": TrigramStrictWordSimilarity(Value(word), "search_text")})
            match |= Q(**{f"near_{index}__gte": TRIGRAM_WORD_SIMILARITY})
        templates = templates.filter(match)
    any_word = SearchQuery(" | ".join(f"{word}:*" for word in words), search_type="raw", config=SEARCH_CONFIG)
    return templates.annotate(
        rank=SearchRank(F("search_vector"), any_word) + TrigramStrictWordSimilarity(Value(q), "search_text") / 10
    )


class NearWord(Func):
    """SQLite: the best difflib ratio of a word against the words of a text (templates_app.sqlite_search)."""

    function = sqlite_search.FUNCTION_NAME
    output_field = FloatField()


def _search_sqlite(templates: QuerySet[AdTemplate], q: str) -> QuerySet[AdTemplate]:
    # The embedded fallback: every word of the query appears in the search text or, for a word no
    # active template contains, a word close to it does. One query, like PostgreSQL's.
    for index, word in enumerate(q.split()):
        match = Q(search_text__icontains=word)
        if len(word) >= NEAR_MISS_MIN_LENGTH:
            nowhere = ~Exists(AdTemplate.objects.filter(is_active=True, search_text__icontains=word))
            templates = templates.alias(**{f"near_{index}": NearWord(Value(word), "search_text")})
            match |= Q(nowhere, **{f"near_{index}__gte": SQLITE_CLOSE_MATCH})
        templates = templates.filter(match)
    return templates.annotate(
        rank=Case(When(name__icontains=q, then=Value(1.0)), default=Value(0.0), output_field=FloatField())
    )


def _search(templates: QuerySet[AdTemplate], q: str) -> QuerySet[AdTemplate]:
    if connection.vendor == "postgresql":
        return _search_postgres(templates, q)
    return _search_sqlite(templates, q)


def _with_industry_first(templates: QuerySet[AdTemplate], user) -> QuerySet[AdTemplate]:
    """`for_you`: the template is for the industry of the user's business profile (a subquery, no extra query)."""
    if not user.is_authenticated:
        return templates.annotate(for_you=Value(False, output_field=BooleanField()))
    return templates.annotate(
        for_you=Exists(BusinessProfile.objects.filter(user=user, industry=OuterRef("industry")).exclude(industry=""))
    )


def gallery_templates(*, user, filters: GalleryFilters) -> QuerySet[AdTemplate]:
    """The templates the gallery shows for these filters, in the chosen order, with is_favorite."""
    templates = _with_favorite(AdTemplate.objects.filter(is_active=True), user)
    # Heavy columns the gallery never shows stay in the database.
    templates = templates.defer("spec", "render_spec", "search_text", "search_vector", "metadata")
    if filters.category:
        templates = templates.filter(
            Exists(AdCategory.objects.filter(template=OuterRef("pk"), category__slug=filters.category))
        )
    for name in ("industry", "style", "campaign_type"):
        if getattr(filters, name):
            templates = templates.filter(**{name: getattr(filters, name)})
    if filters.format:
        # "Designed for" a format: every template has all four once adapted.
        if connection.vendor == "postgresql":
            templates = templates.filter(native_formats__contains=[filters.format])
        else:
            templates = templates.filter(native_formats__icontains=f'"{filters.format}"')
    if filters.no_product_photo:
        templates = templates.filter(needs_product_photo=False)
    if filters.favorites:
        templates = templates.filter(is_favorite=True)
    if filters.q:
        templates = _search(templates, filters.q)
    if filters.sort == Sort.RELEVANCE:
        templates = _with_industry_first(templates, user)
        ordering = (F("rank").desc(), F("for_you").desc(), *ORDERINGS[Sort.FEATURED])
    elif filters.sort == Sort.FEATURED:
        # "Recommended": the user's own industry first, then featured and most used.
        templates = _with_industry_first(templates, user)
        ordering = (F("for_you").desc(), *ORDERINGS[Sort.FEATURED])
    else:
        ordering = ORDERINGS[filters.sort]
    return templates.order_by(*ordering).prefetch_related(_categories_prefetch())


def gallery_page(*, user, filters: GalleryFilters, page_number=1, per_page: int = PAGE_SIZE) -> Page:
    """One page of the gallery: a count, the page's rows and their categories (three queries)."""
    return Paginator(gallery_templates(user=user, filters=filters), per_page).get_page(page_number)


def get_template_for_user(*, user, slug: str) -> AdTemplate:
    """A template by slug with is_favorite and its categories; 404 when inactive, except for staff."""
    templates = _with_favorite(_visible_templates(user), user).prefetch_related(_categories_prefetch())
    template = templates.filter(slug=slug).first()
    if template is None:
        raise Http404("No such template.")
    return template


def get_template_id_for_user(*, user, slug: str):
    """Just the id of a template the user may see (for writes such as favourites); 404 otherwise."""
    template_id = _visible_templates(user).filter(slug=slug).values_list("pk", flat=True).first()
    if template_id is None:
        raise Http404("No such template.")
    return template_id


@dataclass(frozen=True)
class MetricSummary:
    days: int
    impressions: int
    ctr: float | None
    conversion_rate: float | None
    engagement_rate: float | None
    first_day: object
    last_day: object


def metric_summary(*, template: AdTemplate) -> MetricSummary | None:
    """Impressions-weighted rates over the template's measured days; None when nothing was measured."""
    impressions = Cast("impressions", FloatField())
    totals = AdMetric.objects.filter(template=template).aggregate(
        days=Count("id"),
        total_impressions=Sum("impressions"),
        clicks=Sum(F("ctr") * impressions, output_field=FloatField()),
        conversions=Sum(F("conversion_rate") * impressions, output_field=FloatField()),
        conversion_impressions=Sum(
            Case(When(conversion_rate__isnull=False, then=impressions), default=Value(0.0)),
            output_field=FloatField(),
        ),
        engaged=Sum(F("engagement_rate") * impressions, output_field=FloatField()),
        engagement_impressions=Sum(
            Case(When(engagement_rate__isnull=False, then=impressions), default=Value(0.0)),
            output_field=FloatField(),
        ),
        first_day=Min("recorded_at"),
        last_day=Max("recorded_at"),
    )
    if not totals["days"]:
        return None
    total = totals["total_impressions"] or 0

    def rate(part, whole):
        return part / whole if part is not None and whole else None

    return MetricSummary(
        days=totals["days"],
        impressions=int(total),
        ctr=rate(totals["clicks"], total),
        conversion_rate=rate(totals["conversions"], totals["conversion_impressions"]),
        engagement_rate=rate(totals["engaged"], totals["engagement_impressions"]),
        first_day=totals["first_day"],
        last_day=totals["last_day"],
    )


def get_spec_for_generation(*, template_id, version: int) -> dict:
    """The complete spec (every format) of one version of a template: re-renders a generation exactly."""
    return TemplateSpecVersion.objects.values_list("render_spec", flat=True).get(
        template_id=template_id, version=version
    )


def brand_fonts_for_user(*, user) -> QuerySet[BrandFont]:
    """The user's uploaded fonts, by family, weight and style (one query)."""
    return BrandFont.objects.filter(user=user).order_by("family", "weight", "style")


def get_brand_font_for_user(*, user, font_id) -> BrandFont:
    """One of the user's uploaded fonts; 404 for anyone else's."""
    font = BrandFont.objects.filter(pk=font_id, user=user).first()
    if font is None:
        raise Http404("No such font.")
    return font
