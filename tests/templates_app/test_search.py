"""Search over the shipped library: tags, industries, their everyday words and near-misses; Recommended by industry."""

import json

import pytest

from accounts.models import BusinessProfile
from templates_app import selectors
from templates_app.models import AdTemplate
from templates_app.selectors import GalleryFilters
from templates_app.services.library import LIBRARY_DIR
from templates_app.sqlite_search import near_word
from tests.factories import UserFactory
from tests.templates_app.factories import TemplateRowFactory

pytestmark = pytest.mark.django_db

FOOD_WORDS = ["bread", "bakery", "coffee", "piza", "pizza", "cafe", "backery", "pasta", "Bread"]


@pytest.fixture
def shipped(db):
    """A row for every shipped template, with its real name, description, tags and industry (no renders)."""
    industries = {}
    for path in sorted(LIBRARY_DIR.glob("*.json")):
        document = json.loads(path.read_text())
        if "slug" not in document:
            continue
        TemplateRowFactory(
            slug=document["slug"],
            name=document["name"],
            description=document.get("description", ""),
            tags=document.get("tags", []),
            industry=document["industry"],
            style=document["style"],
            campaign_type=document["campaign_type"],
            is_featured=bool(document.get("is_featured")),
        )
        industries[document["slug"]] = document["industry"]
    return industries


@pytest.fixture
def user(db):
    return UserFactory()


def found(user, q: str) -> list[str]:
    return [t.slug for t in selectors.gallery_templates(user=user, filters=GalleryFilters(q=q))]


# Run on PostgreSQL (full text + pg_trgm) and on SQLite (the embedded fallback): same answers.
@pytest.mark.parametrize("q", FOOD_WORDS)
def test_everyday_food_words_and_near_misses_find_only_food_templates(user, shipped, q):
    slugs = found(user, q)
    assert slugs, f"{q!r} found nothing"
    assert {shipped[slug] for slug in slugs} == {"restaurant"}, (q, slugs)
    if q.lower() in {"bread", "bakery", "coffee", "piza", "pizza", "cafe"}:
        # Every food template, not one that happens to say the word.
        assert len(slugs) == sum(1 for industry in shipped.values() if industry == "restaurant")


@pytest.mark.parametrize(
    ("q", "industry"),
    [("hairdresser", "beauty"), ("realtor", "real_estate"), ("dentist", "healthcare"), ("yoga", "fitness")],
)
def test_other_industries_are_found_by_their_everyday_words(user, shipped, q, industry):
    slugs = found(user, q)
    assert slugs
    assert {shipped[slug] for slug in slugs} == {industry}


def test_near_misses_need_to_be_near(user, shipped):
    assert found(user, "pzzx") == []
    assert found(user, "xylophone") == []
    assert found(user, "backery") != found(user, "back")
    assert "restaurant-fresh-pasta" in found(user, "fresh pastaa")


def test_recommended_puts_the_users_industry_first(user, shipped):
    BusinessProfile.objects.update_or_create(user=user, defaults={"industry": "restaurant"})
    slugs = [t.slug for t in selectors.gallery_templates(user=user, filters=GalleryFilters())]
    food = [slug for slug in slugs if shipped[slug] == "restaurant"]
    assert slugs[: len(food)] == food
    assert len(food) == 5

    someone_else = UserFactory()
    BusinessProfile.objects.update_or_create(user=someone_else, defaults={"industry": "saas"})
    theirs = [t.slug for t in selectors.gallery_templates(user=someone_else, filters=GalleryFilters())]
    assert {shipped[slug] for slug in theirs[:4]} == {"saas"}


def test_recommended_without_an_industry_is_featured_first(user, shipped):
    AdTemplate.objects.filter(slug="saas-free-trial").update(is_featured=True, usage_count=999)
    slugs = [t.slug for t in selectors.gallery_templates(user=user, filters=GalleryFilters())]
    assert slugs[0] == "saas-free-trial"


def test_the_sqlite_near_word_function():
    assert near_word("piza", "Fresh pizza tonight") == pytest.approx(8 / 9)
    assert near_word("bread", "break the fast") == pytest.approx(0.8)
    assert near_word("", "x") == near_word("x", None) == 0.0
