"""Specs and templates for tests, independent of the shipped library.

`make_spec` builds a valid design spec for any formats; `create_template` makes a template
through the real service (validated, versioned, rendered); `TemplateRowFactory` inserts rows
directly with a precomputed spec and no renders, for tests that need many templates fast.
"""

import itertools
from functools import lru_cache

import factory

from templates_app import services
from templates_app.constants import CampaignType, Industry, TemplateStyle
from templates_app.models import AdTemplate, Category
from templates_app.spec import FORMATS

_counter = itertools.count(1)


def _layout(key: str, *, background: str, accent: str) -> dict:
    fmt = FORMATS[key]
    x, y, w, h = fmt.safe_box
    pad = 32
    return {
        "background": background,
        "layers": [
            {
                "type": "shape",
                "shape": "rect",
                "box": [0, 0, fmt.width, fmt.height],
                "fill": {"gradient": "linear", "angle": 135, "stops": [[0, background], [1, "slot.accent"]]},
            },
            {
                "type": "pattern",
                "pattern": "dots",
                "box": [x, y, w, h // 3],
                "color": "#FFFFFF22",
                "spacing": 36,
                "size": 6,
            },
            {
                "type": "text",
                "slot": "headline",
                "box": [x + pad, y + pad, w - 2 * pad, h // 2 - pad],
                "font": "brand.heading",
                "weight": 800,
                "size": [40, 110],
                "line_height": 1.05,
                "max_lines": 3,
                "color": "#FFFFFF",
            },
            {
                "type": "text",
                "slot": "body",
                "box": [x + pad, y + h // 2, w - 2 * pad, h // 4],
                "font": "brand.body",
                "weight": 400,
                "size": [24, 44],
                "max_lines": 3,
                "color": "#FFFFFF",
            },
            {
                "type": "button",
                "slot": "cta",
                "box": [x + pad, y + h - 140, min(420, w - 2 * pad), 110],
                "font": "brand.body",
                "weight": 700,
                "size": [24, 44],
                "fill": accent,
                "color": "#FFFFFF",
                "radius": 55,
            },
        ],
    }


def make_spec(
    *,
    formats: tuple[str, ...] = ("1:1",),
    headline: str = "Summer sale",
    background: str = "#1E2A78",
    accent: str = "slot.accent",
) -> dict:
    return {
        "version": 1,
        "slots": {
            "headline": {"type": "text", "label": "Headline", "default": headline, "max_chars": 40},
            "body": {
                "type": "text",
                "label": "Details",
                "default": "Up to 50% off",
                "max_chars": 60,
                "required": False,
            },
            "cta": {"type": "text", "label": "Button", "default": "Shop now", "max_chars": 18},
            "logo": {"type": "image", "label": "Logo", "role": "logo", "required": False},
            "accent": {"type": "color", "label": "Accent colour", "default": "#FF5A5F"},
        },
        "formats": {key: _layout(key, background=background, accent=accent) for key in formats},
    }


def create_template(*, slug: str | None = None, spec: dict | None = None, categories=(), **fields) -> AdTemplate:
    """A template made by the real service: validated, version 1, rendered."""
    number = next(_counter)
    values = {
        "name": f"Template {number}",
        "industry": Industry.RESTAURANT,
        "style": TemplateStyle.BOLD,
        "campaign_type": CampaignType.SALES,
        "description": "A bold card for a sale.",
        **fields,
    }
    return services.create_template(
        slug=slug or f"template-{number}", spec=spec or make_spec(), categories=categories, **values
    )


@lru_cache(maxsize=8)
def _prepared(formats: tuple[str, ...]) -> services.PreparedSpec:
    return services.prepare_spec(make_spec(formats=formats))


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")
    display_order = factory.Sequence(lambda n: n)


class TemplateRowFactory(factory.django.DjangoModelFactory):
    """A template row without renders (its thumbnail names a file that does not exist)."""

    class Meta:
        model = AdTemplate
        skip_postgeneration_save = True

    class Params:
        formats = ("1:1",)

    slug = factory.Sequence(lambda n: f"row-template-{n}")
    name = factory.Sequence(lambda n: f"Row template {n}")
    description = "A template for tests."
    industry = Industry.RESTAURANT
    style = TemplateStyle.BOLD
    campaign_type = CampaignType.SALES
    tags = factory.LazyFunction(list)
    spec_version = 1
    thumbnail = factory.LazyAttribute(lambda o: f"templates/{o.slug}/v1-thumb.webp")
    spec = factory.LazyAttribute(lambda o: _prepared(tuple(o.formats)).spec)
    render_spec = factory.LazyAttribute(lambda o: _prepared(tuple(o.formats)).render_spec)
    native_formats = factory.LazyAttribute(lambda o: _prepared(tuple(o.formats)).native_formats)
    adapted_formats = factory.LazyAttribute(lambda o: _prepared(tuple(o.formats)).adapted_formats)

    @factory.post_generation
    def categories(self, create, extracted, **kwargs):
        if create and extracted:
            self.categories.add(*extracted)

    @factory.post_generation
    def search(self, create, extracted, **kwargs):
        if not create:
            return
        self.search_text = services.templates.build_search_text(self)
        AdTemplate.objects.filter(pk=self.pk).update(search_text=self.search_text)
        services.templates.refresh_search_vector(template_ids=[self.pk])
