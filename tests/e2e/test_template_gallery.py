"""Browsing the template library in a real browser: filter, search, favourite, open a template."""

import re

import pytest
from playwright.sync_api import expect

from templates_app.models import FavoriteTemplate
from tests.factories import PASSWORD, UserFactory
from tests.templates_app.factories import CategoryFactory, create_template, make_spec

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def library(db):
    food = CategoryFactory(name="Food & drink", slug="food", display_order=1)
    retail = CategoryFactory(name="Retail", slug="retail", display_order=2)
    fitness = CategoryFactory(name="Fitness", slug="fitness", display_order=3)
    rows = [
        ("daily-special", "Daily special", "restaurant", "bold", food, ("1:1",), "Soup of the day", "#8C1C13", True),
        ("burger-night", "Burger night", "restaurant", "playful", food, ("9:16",), "Burger night", "#E85D04", False),
        (
            "sneaker-drop",
            "Sneaker drop",
            "fashion",
            "minimal",
            retail,
            ("4:5", "16:9"),
            "New arrivals",
            "#1B1B1E",
            True,
        ),
        ("flash-sale", "Flash sale", "ecommerce", "bold", retail, ("1:1",), "48h flash sale", "#D00000", False),
        ("morning-yoga", "Morning yoga", "fitness", "elegant", fitness, ("4:5",), "Morning yoga", "#2A9D8F", False),
    ]
    for slug, name, industry, style, category, formats, headline, colour, featured in rows:
        create_template(
            slug=slug,
            name=name,
            industry=industry,
            style=style,
            categories=[category],
            spec=make_spec(formats=formats, headline=headline, background=colour),
            is_featured=featured,
            tags=[headline.split()[0].lower()],
            description=f"{style.capitalize()} design for {name.lower()} ads, ready in every format.",
        )


def _cards(page):
    return page.locator(".template-card")


def test_browse_filter_search_favourite_and_open_a_template(
    page, live_server, library, screenshot, phone_screenshot, browser_problems
):
    user = UserFactory(email="maya@example.com")
    page.goto("/accounts/login/")
    page.get_by_label(re.compile(r"^Email")).fill(user.email)
    page.get_by_label(re.compile(r"^Password")).fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))

    # 1. The gallery: every active template, featured first.
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Templates").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Template library")
    expect(page.get_by_test_id("gallery-count")).to_contain_text("5 templates")
    expect(_cards(page).first).to_contain_text("Sneaker drop")
    expect(page.get_by_role("img", name="Daily special: square preview")).to_be_visible()
    screenshot(page, "templates-01-gallery")
    phone_screenshot("/templates/", "phone-templates-01-gallery")

    # 2. A category filter updates the results in place and the address.
    page.locator("label[for=category-retail]").click()
    expect(page.get_by_test_id("gallery-count")).to_contain_text("2 templates")
    expect(page).to_have_url(re.compile(r"/templates/\?category=retail$"))
    expect(_cards(page)).to_have_count(2)

    # 3. Search narrows further; removing the category chip widens again.
    page.get_by_label("Search templates").fill("flash")
    expect(page.get_by_test_id("gallery-count")).to_contain_text("1 template for “flash”")
    expect(page).to_have_url(re.compile(r"q=flash"))
    page.get_by_role("link", name=re.compile(r"^Retail")).click()
    expect(page).not_to_have_url(re.compile(r"category="))
    expect(_cards(page)).to_have_count(1)
    page.get_by_label("Search templates").fill("")
    expect(page.get_by_test_id("gallery-count")).to_contain_text("5 templates")

    # 4. Another filter: style, through its select.
    page.get_by_label("Style").select_option("bold")
    expect(page.get_by_test_id("gallery-count")).to_contain_text("2 templates")
    page.get_by_label("Style").select_option("")
    expect(page.get_by_test_id("gallery-count")).to_contain_text("5 templates")

    # 5. Favourite a template: the heart turns on without a page load, and stays on after one.
    heart = page.get_by_role("button", name="Favourite Morning yoga")
    expect(heart).to_have_attribute("aria-pressed", "false")
    heart.click()
    expect(page.get_by_role("button", name="Favourite Morning yoga")).to_have_attribute("aria-pressed", "true")
    assert FavoriteTemplate.objects.filter(user=user, template__slug="morning-yoga").exists()
    page.reload()
    expect(page.get_by_role("button", name="Favourite Morning yoga")).to_have_attribute("aria-pressed", "true")
    page.get_by_label("Only my favourites").check()
    expect(page.get_by_test_id("gallery-count")).to_contain_text("1 template")
    expect(_cards(page)).to_have_count(1)
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "templates-02-favourites")

    # 6. Open the template: every format, which were adapted, what can be changed.
    page.get_by_role("link", name="Morning yoga").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Morning yoga")
    expect(page.locator("figure.format-preview")).to_have_count(4)
    expect(page.get_by_role("img", name="Morning yoga in the Portrait 4:5 (feed) format")).to_be_visible()
    expect(page.get_by_text("adapted from 4:5")).to_have_count(3)
    expect(page.get_by_text("Headline")).to_be_visible()
    expect(page.get_by_text("No performance data yet")).to_be_visible()
    expect(page.get_by_role("link", name="Customise this template")).to_be_visible()
    expect(page.get_by_test_id("favorite-button")).to_have_attribute("aria-pressed", "true")
    page.get_by_test_id("favorite-button").click()
    expect(page.get_by_test_id("favorite-button")).to_have_attribute("aria-pressed", "false")
    assert not FavoriteTemplate.objects.filter(user=user).exists()
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "templates-03-detail")
    phone_screenshot("/templates/morning-yoga/", "phone-templates-03-detail")

    # 7. Filters with no match offer a way out.
    page.goto("/templates/?q=submarine")
    expect(page.get_by_role("heading", name="No templates match these filters")).to_be_visible()
    page.get_by_role("main").get_by_role("link", name="Clear filters").click()
    expect(page.get_by_test_id("gallery-count")).to_contain_text("5 templates")

    assert browser_problems == []
