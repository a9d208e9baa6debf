"""Component schemas: typed properties validated on the server, no raw HTML anywhere."""

import pytest

from campaigns.pages import components as schema
from campaigns.pages.starting_points import STARTING_POINTS


def test_every_type_accepts_its_defaults():
    for key in schema.COMPONENT_TYPES:
        assert schema.validate_props(key, schema.default_props(key)) == schema.default_props(key)


def test_every_starting_point_is_valid_components():
    assert set(STARTING_POINTS) == {"lead_capture", "offer", "event_signup", "app_download", "local_business"}
    for point in STARTING_POINTS.values():
        for key, props in point.components:
            schema.validate_props(key, props)


def test_unknown_type_is_refused_with_the_known_ones():
    with pytest.raises(schema.ComponentError, match="Unknown component type 'marquee'"):
        schema.validate_props("marquee", {})


def test_unknown_property_is_named():
    with pytest.raises(schema.ComponentError) as caught:
        schema.validate_props("hero", {"headline": "Hi", "onclick": "x"})
    assert caught.value.errors == {"onclick": "unknown property for a hero component"}


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "Hello <b>there</b>",
        "<!-- x -->",
        "a &#60;script&#62;",
        "</p>",
        "<img src=x onerror=1>",
    ],
)
def test_markup_in_any_text_is_refused(text):
    with pytest.raises(schema.ComponentError) as caught:
        schema.validate_props("hero", {"headline": text})
    assert "HTML and scripts are not allowed" in caught.value.errors["headline"]
    with pytest.raises(schema.ComponentError) as caught:
        schema.validate_props("faq", {"items": [{"question": "Q?", "answer": text}]})
    assert "entry 1, answer: HTML and scripts are not allowed" in caught.value.errors["items"]


def test_plain_comparisons_are_text_not_markup():
    props = schema.validate_props("hero", {"headline": "Save 3 < 5 times & more"})
    assert props["headline"] == "Save 3 < 5 times & more"


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html,x",
        "vbscript:x",
        "//evil.example",
        "http:/x",
        'https://a.example/" onmouseover=x',
    ],
)
def test_links_must_be_web_mail_phone_or_anchor(url):
    with pytest.raises(schema.ComponentError) as caught:
        schema.validate_props("cta", {"label": "Go", "url": url})
    assert "url" in caught.value.errors


@pytest.mark.parametrize("url", ["https://example.com/offer?x=1", "#form", "mailto:hi@example.com", "tel:+4412345"])
def test_good_links(url):
    assert schema.validate_props("cta", {"label": "Go", "url": url})["url"] == url


def test_limits_and_required():
    with pytest.raises(schema.ComponentError) as caught:
        schema.validate_props("hero", {"headline": "x" * 121})
    assert caught.value.errors["headline"] == "at most 120 characters (this has 121)"
    with pytest.raises(schema.ComponentError) as caught:
        schema.validate_props("cta", {"label": "", "url": "#form"})
    assert caught.value.errors["label"] == "required"
    with pytest.raises(schema.ComponentError) as caught:
        schema.validate_props("features", {"items": [{"title": str(i)} for i in range(13)]})
    assert caught.value.errors["items"] == "at most 12 entries (this has 13)"


def test_lead_form_fields():
    props = schema.validate_props(
        "lead_form",
        {
            "fields": ["email", "name"],
            "required": ["email"],
            "custom_fields": [{"label": "Company", "required": "yes"}],
        },
    )
    assert props["fields"] == ["name", "email"]
    assert schema.form_field_names(props) == [
        ("name", "Name", False),
        ("email", "Email", True),
        ("custom_1", "Company", True),
    ]
    with pytest.raises(schema.ComponentError) as caught:
        schema.validate_props("lead_form", {"fields": ["name"], "required": ["email"]})
    assert caught.value.errors == {"required": "required fields must be on the form: email"}
    with pytest.raises(schema.ComponentError):
        schema.validate_props("lead_form", {"fields": ["fax"]})


def test_countdown_date():
    assert schema.validate_props("pricing", {"countdown_to": "2027-01-31 18:00"})["countdown_to"] == "2027-01-31T18:00"
    with pytest.raises(schema.ComponentError) as caught:
        schema.validate_props("pricing", {"countdown_to": "soon"})
    assert caught.value.errors["countdown_to"] == "use the form 2027-01-31 18:00"
