"""The gallery and template pages: filters, search, sorts, pagination, favourites, access, query counts."""

import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from templates_app import selectors, services
from templates_app.models import AdTemplate, FavoriteTemplate
from templates_app.selectors import GalleryFilters
from tests.factories import UserFactory
from tests.templates_app.factories import CategoryFactory, TemplateRowFactory, create_template, make_spec

pytestmark = pytest.mark.django_db

INDEX = reverse("templates_app:index")
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "gallery-results"}


def names(response) -> list[str]:
    """Template names on the page, in order."""
    return re.findall(r'id="template-[0-9a-f-]+-name">\s*<a href="[^"]+">([^<]+)</a>', response.content.decode())


def slugs(user, **filters) -> list[str]:
    return [t.slug for t in selectors.gallery_templates(user=user, filters=GalleryFilters(**filters))]


@pytest.fixture
def library(db):
    """A small library: two categories, templates across industries, styles, campaigns and formats."""
    food = CategoryFactory(name="Food & drink", slug="food")
    shop = CategoryFactory(name="Retail", slug="retail")
    now = timezone.now()
    rows = {
        "bakery": TemplateRowFactory(
            slug="bakery",
            name="Fresh bakery",
            description="Warm bread every morning",
            tags=["croissant", "breakfast"],
            categories=[food],
            formats=("1:1",),
            is_featured=True,
            usage_count=5,
        ),
        "burger": TemplateRowFactory(
            slug="burger",
            name="Burger night",
            description="Two burgers for one",
            tags=["dinner"],
            categories=[food],
            formats=("9:16",),
            style="playful",
            campaign_type="event_promotion",
            usage_count=50,
        ),
        "sneakers": TemplateRowFactory(
            slug="sneakers",
            name="Sneaker drop",
            description="New arrivals in store",
            tags=["shoes"],
            categories=[shop],
            formats=("4:5", "16:9"),
            industry="fashion",
            style="minimal",
            usage_count=20,
        ),
        "gym": TemplateRowFactory(
            slug="gym",
            name="Gym membership",
            description="First month free",
            industry="fitness",
            style="bold",
            campaign_type="lead_generation",
            formats=("16:9",),
        ),
        "hidden": TemplateRowFactory(slug="hidden", name="Hidden bakery", categories=[food], is_active=False),
    }
    for age, slug in enumerate(["bakery", "burger", "sneakers", "gym", "hidden"]):
        AdTemplate.objects.filter(slug=slug).update(created_at=now - timedelta(days=age))
    AdTemplate.objects.filter(slug="sneakers").update(best_ctr=0.031, metric_impressions=5000)
    AdTemplate.objects.filter(slug="gym").update(best_ctr=0.012, metric_impressions=900)
    return rows


# -- filters, search and sorts (selector) ----------------------------------------------------------


def test_only_active_templates_are_in_the_gallery(user, library):
    assert sorted(slugs(user)) == ["bakery", "burger", "gym", "sneakers"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"category": "food"}, ["bakery", "burger"]),
        ({"category": "retail"}, ["sneakers"]),
        ({"industry": "fashion"}, ["sneakers"]),
        ({"style": "playful"}, ["burger"]),
        ({"campaign_type": "lead_generation"}, ["gym"]),
        ({"format": "1:1"}, ["bakery"]),
        ({"format": "16:9"}, ["gym", "sneakers"]),
        ({"format": "9:16"}, ["burger"]),
        ({"category": "food", "format": "9:16", "style": "playful"}, ["burger"]),
        ({"industry": "fashion", "style": "bold"}, []),
        ({"industry": "not-an-industry"}, ["bakery", "burger", "gym", "sneakers"]),
    ],
)
def test_each_filter(user, library, filters, expected):
    assert sorted(slugs(user, **filters)) == expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("fresh", ["bakery"]),  # name
        ("morning", ["bakery"]),  # description
        ("bread", ["bakery", "burger"]),  # description, and a word of the restaurant-and-food industry
        ("croissant", ["bakery"]),  # tag
        ("Fashion", ["sneakers"]),  # industry label
        ("burger night", ["burger"]),  # every word
        ("burger shoes", []),
        ("nothing-like-this", []),
    ],
)
def test_search_finds_name_description_tags_and_labels(user, library, q, expected):
    assert sorted(slugs(user, q=q)) == expected


def test_search_finds_a_word_being_typed_in_the_name(user, library):
    assert slugs(user, q="Sneak") == ["sneakers"]


@pytest.mark.postgres
def test_full_text_search_on_postgresql_matches_word_forms_and_ranks(user, library):
    assert slugs(user, q="bakeries") == ["bakery", "burger"]  # stemming (and "bakery" is a food word)
    assert slugs(user, q="burgers -night") == ["bakery"]  # websearch exclusion ("burger" is a food word)
    assert slugs(user, q='"first month"') == ["gym"]
    TemplateRowFactory(slug="bread-basket", name="Bread basket", description="Sourdough")
    # "bread" in the name ranks above "bread" in a description.
    assert slugs(user, q="bread") == ["bread-basket", "bakery", "burger"]


def test_sorts(user, library):
    assert slugs(user) == ["bakery", "burger", "sneakers", "gym"]  # featured first, then most used
    assert slugs(user, sort="newest") == ["bakery", "burger", "sneakers", "gym"]
    assert slugs(user, sort="most_used") == ["burger", "sneakers", "bakery", "gym"]
    # Templates without measured data come last.
    assert slugs(user, sort="best_ctr") == ["sneakers", "gym", "bakery", "burger"]


def test_favourites_filter_shows_only_the_users_own(user, other_user, library):
    services.set_favorite(user=user, template_id=library["burger"].pk, favorite=True)
    services.set_favorite(user=other_user, template_id=library["gym"].pk, favorite=True)

    assert slugs(user, favorites=True) == ["burger"]
    assert slugs(other_user, favorites=True) == ["gym"]
    flags = {t.slug: t.is_favorite for t in selectors.gallery_templates(user=user, filters=GalleryFilters())}
    assert flags == {"bakery": False, "burger": True, "sneakers": False, "gym": False}


# -- the page --------------------------------------------------------------------------------------


def test_the_gallery_needs_sign_in(client):
    response = client.get(INDEX)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_gallery_page_shows_cards_filters_and_count(auth_client, library):
    response = auth_client.get(INDEX)
    assert response.status_code == 200
    assert names(response) == ["Fresh bakery", "Burger night", "Sneaker drop", "Gym membership"]
    html = response.content.decode()
    assert "<strong>4</strong> templates" in html
    assert 'alt="Fresh bakery: square preview"' in html
    assert "Featured" in html
    assert 'for="category-food"' in html
    for control in ('name="industry"', 'name="style"', 'name="campaign_type"', 'name="format"', 'name="favorites"'):
        assert control in html
    assert 'id="gallery-sort"' in html
    assert 'hx-get="/templates/"' in html
    assert "Hidden bakery" not in html


def test_filters_in_the_query_string_narrow_the_page_and_show_as_chips(auth_client, library):
    response = auth_client.get(INDEX, {"category": "food", "style": "playful", "q": ""})
    assert names(response) == ["Burger night"]
    html = response.content.decode()
    assert "<strong>1</strong> template " in html or "<strong>1</strong> template\n" in html
    # Each chip removes its own filter and keeps the other.
    assert 'href="?style=playful"' in html
    assert 'href="?category=food"' in html
    assert "Clear filters" in html


def test_an_htmx_request_gets_only_the_results(auth_client, library):
    response = auth_client.get(INDEX, {"industry": "fashion"}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert names(response) == ["Sneaker drop"]
    assert "HX-Request" in response["Vary"]

    restore = auth_client.get(INDEX, {"industry": "fashion"}, HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX)
    assert "<html" in restore.content.decode()


def test_no_results_shows_an_empty_state_with_a_way_out(auth_client, library):
    response = auth_client.get(INDEX, {"q": "nothing-like-this"})
    html = response.content.decode()
    assert "No templates match these filters" in html
    assert re.search(
        rf'<a class="btn btn-outline-primary" href="{INDEX}" data-clear-filter="[a-z_ ]+"[^>]*>Clear filters</a>', html
    )


def test_no_favourites_yet_says_so(auth_client, library):
    html = auth_client.get(INDEX, {"favorites": "1"}).content.decode()
    assert "No favourites yet" in html


def test_pagination_is_24_a_page_and_keeps_the_filters(auth_client, db):
    for number in range(30):
        TemplateRowFactory(name=f"Pizza {number:02d}", industry="restaurant", usage_count=number)
    TemplateRowFactory(name="Not pizza", industry="fitness")

    first = auth_client.get(INDEX, {"industry": "restaurant", "sort": "most_used"})
    assert len(names(first)) == 24
    assert names(first)[0] == "Pizza 29"
    html = first.content.decode()
    assert "Page 1 of 2" in html
    assert 'href="?industry=restaurant&amp;sort=most_used&amp;page=2"' in html

    second = auth_client.get(INDEX, {"industry": "restaurant", "sort": "most_used", "page": "2"})
    assert names(second) == [f"Pizza {n:02d}" for n in range(5, -1, -1)]
    assert auth_client.get(INDEX, {"page": "99"}).status_code == 200  # past the end: the last page


def test_the_gallery_runs_the_same_number_of_queries_whatever_the_filters(auth_client, user, library):
    services.set_favorite(user=user, template_id=library["bakery"].pk, favorite=True)
    combinations = [
        {},
        {"category": "food"},
        {"industry": "fashion", "style": "minimal"},
        {"campaign_type": "sales", "format": "16:9"},
        {"favorites": "1"},
        {"q": "bakery", "sort": "newest"},
        {"category": "food", "industry": "restaurant", "format": "1:1", "q": "bread", "favorites": "1"},
        {"sort": "best_ctr", "page": "2"},
    ]

    def count(params, **headers) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert auth_client.get(INDEX, params, **headers).status_code == 200
        return len(queries)

    baseline = count({})
    for params in combinations:
        assert count(params) == baseline, params
    # With nothing found there is no page of rows to read: fewer queries, never more.
    assert count({"q": "nothing-like-this"}) == baseline - 2
    # More templates, the same queries.
    for _ in range(30):
        TemplateRowFactory(categories=[library["bakery"].categories.first()])
    assert count({}) == baseline
    assert count({"category": "food", "page": "2"}) == baseline


def test_gallery_queries_are_pinned(auth_client, user, library, django_assert_num_queries):
    services.set_favorite(user=user, template_id=library["bakery"].pk, favorite=True)
    auth_client.get(INDEX)  # the session is loaded once per request; warm any per-process caches
    # user (the session is cached), filter categories, count, page of templates, their categories,
    # the credits shown in the top bar
    with django_assert_num_queries(6):
        auth_client.get(INDEX, {"category": "food", "q": "bread", "favorites": "1", "format": "1:1"})


# -- favourites ------------------------------------------------------------------------------------


def test_favourite_with_htmx_returns_the_updated_button(auth_client, user, library):
    url = reverse("templates_app:favorite", args=["burger"])
    response = auth_client.post(url, {"favorite": "1", "next": INDEX}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-pressed="true"' in html
    assert 'name="favorite" value="0"' in html
    assert "<html" not in html
    assert FavoriteTemplate.objects.filter(user=user, template=library["burger"]).exists()

    response = auth_client.post(url, {"favorite": "0", "next": INDEX}, HTTP_HX_REQUEST="true")
    assert 'aria-pressed="false"' in response.content.decode()
    assert not FavoriteTemplate.objects.filter(user=user).exists()


def test_favourite_is_idempotent_and_a_plain_post_goes_back(auth_client, user, library):
    url = reverse("templates_app:favorite", args=["burger"])
    for _ in range(2):
        response = auth_client.post(url, {"favorite": "1", "next": f"{INDEX}?style=playful"})
        assert response.status_code == 302
        assert response["Location"] == f"{INDEX}?style=playful"
    assert FavoriteTemplate.objects.filter(user=user).count() == 1

    response = auth_client.post(url, {"next": "https://evil.example/"})  # no state given: toggles
    assert response["Location"] == reverse("templates_app:detail", args=["burger"])
    assert not FavoriteTemplate.objects.filter(user=user).exists()


def test_favourite_refuses_get_inactive_and_unknown_templates(auth_client, library):
    assert auth_client.get(reverse("templates_app:favorite", args=["burger"])).status_code == 405
    assert auth_client.post(reverse("templates_app:favorite", args=["hidden"]), {"favorite": "1"}).status_code == 404
    assert auth_client.post(reverse("templates_app:favorite", args=["nope"]), {"favorite": "1"}).status_code == 404


def test_the_cards_show_only_the_users_own_favourites(client, user, library):
    services.set_favorite(user=user, template_id=library["bakery"].pk, favorite=True)
    other = UserFactory()
    client.force_login(other)
    html = client.get(INDEX).content.decode()
    assert 'aria-pressed="true"' not in html
    assert html.count('aria-pressed="false"') == 4


# -- the template page -----------------------------------------------------------------------------


def test_the_template_page_shows_formats_slots_and_no_metrics(auth_client, db):
    category = CategoryFactory(name="Food & drink", slug="food")
    template = create_template(
        slug="daily-special",
        name="Daily special",
        spec=make_spec(formats=("1:1", "9:16")),
        categories=[category],
        tags=["lunch"],
        description="A warm, bold card for a dish of the day.",
    )
    response = auth_client.get(reverse("templates_app:detail", args=[template.slug]))
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r"<h1[^>]*>Daily special</h1>", html)
    assert "A warm, bold card for a dish of the day." in html
    for label in ("Square 1:1 (feed)", "Portrait 4:5 (feed)", "Vertical 9:16 (Stories, Reels)", "Landscape 16:9"):
        assert label in html
    assert html.count("adapted from") == 2
    assert "adapted from 1:1" in html  # 4:5 is nearest to 1:1
    assert "adapted from 9:16" not in html or "16:9" in html
    assert 'alt="Daily special in the Landscape 16:9 format"' in html
    for preview in template.previews.values():
        assert f"/media/{preview}" in html
    assert "Headline" in html
    assert "up to 40 characters" in html
    assert "Sample: Summer sale" in html
    assert "Accent colour" in html
    assert "No performance data yet" in html
    assert 'href="/templates/?category=food"' in html
    assert 'href="/templates/?q=lunch"' in html
    # The button opens the generation page for this template.
    assert f'href="{reverse("generations:customise", args=[template.slug])}">Customise this template</a>' in html
    assert 'data-testid="favorite-button"' in html


def test_the_template_page_shows_real_metrics(auth_client, staff_user, db):
    from django.core.files.uploadedfile import SimpleUploadedFile

    template = create_template(slug="measured")
    csv = "template,date,impressions,clicks,ctr,conversion_rate\nmeasured,2026-01-01,1000,20,2%,1%\nmeasured,2026-01-02,3000,120,4%,\n"
    services.import_metrics_csv(file=SimpleUploadedFile("m.csv", csv.encode()), actor=staff_user)
    html = auth_client.get(reverse("templates_app:detail", args=["measured"])).content.decode()
    assert "No performance data yet" not in html
    assert "3.50%" in html  # (20 + 120) / 4000
    assert "1.00%" in html  # conversion rate where measured
    assert "4,000" in html
    assert "Measured over 2 days" in html
    template.refresh_from_db()
    assert template.best_ctr == pytest.approx(0.035)


def test_an_inactive_template_is_404_except_for_staff(client, user, staff_user, library):
    url = reverse("templates_app:detail", args=["hidden"])
    client.force_login(user)
    assert client.get(url).status_code == 404
    assert client.get(reverse("templates_app:detail", args=["nope"])).status_code == 404
    client.force_login(staff_user)
    response = client.get(url)
    assert response.status_code == 200
    assert "This template is inactive" in response.content.decode()


def test_the_template_page_runs_a_fixed_number_of_queries(auth_client, db, django_assert_num_queries):
    template = create_template(slug="counted", categories=[CategoryFactory(), CategoryFactory()])
    url = reverse("templates_app:detail", args=[template.slug])
    auth_client.get(url)
    # user (the session is cached), template with is_favorite, its categories, metrics summary, credits
    with django_assert_num_queries(5):
        assert auth_client.get(url).status_code == 200


def test_my_favourites_are_in_my_data_export_and_nobody_elses(auth_client, user, other_user):
    mine = TemplateRowFactory(slug="mine-fav", name="Mine")
    theirs = TemplateRowFactory(slug="their-fav", name="Theirs")
    services.set_favorite(user=user, template_id=mine.pk, favorite=True)
    services.set_favorite(user=other_user, template_id=theirs.pk, favorite=True)
    data = json.loads(auth_client.post(reverse("accounts:export_data")).content)
    assert [f["template"] for f in data["sections"]["favourite_templates"]] == ["mine-fav"]
    assert data["sections"]["credits"]["payments"] == []
