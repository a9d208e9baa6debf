"""Lead forms on public pages: spam checks, attribution, the owner's email, CSV, deletion, retention."""

import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from campaigns.leads import services as lead_services
from campaigns.models import Conversion, Lead
from campaigns.pages import services


def _submit_url(page):
    return f"/p/{page.user.page_handle.handle}/{page.slug}/submit/"


def _form_data(page, **values):
    form = next(c for c in page.published_version.components if c["type"] == "lead_form")
    return {"component": form["id"], "ts": lead_services.form_token(), "website": "", **values}


def test_submission_is_a_lead_and_an_attributed_conversion(client, published, django_capture_on_commit_callbacks):
    campaign_id = uuid.uuid4()
    data = _form_data(
        published,
        name="Ada",
        email="ada@example.com",
        utm_source="facebook",
        utm_campaign=f"spring ca-campaign-{campaign_id}",
        utm_content=f"ca-ad-{uuid.uuid4()}",
        fbclid="IwAR123",
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_submit_url(published), data)
    assert response.status_code == 200
    assert "We will be in touch" in response.content.decode() or "Thank you" in response.content.decode()
    lead = Lead.objects.get()
    assert (lead.name, lead.email, lead.page_id) == ("Ada", "ada@example.com", published.pk)
    conversion = lead.conversion
    assert conversion.utm_campaign == f"spring ca-campaign-{campaign_id}"
    assert conversion.campaign_ref == str(campaign_id)
    assert conversion.fbclid == "IwAR123"
    assert conversion.version_number == 1
    assert (conversion.conversion_type, conversion.currency) == ("lead", "USD")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [published.user.email]
    assert "ada@example.com" in mail.outbox[0].body


def test_missing_required_field_is_a_clear_error_and_nothing_is_stored(client, published):
    response = client.post(_submit_url(published), _form_data(published, name="Ada", email=""))
    assert response.status_code == 400
    assert "Email is required." in response.content.decode()
    assert 'value="Ada"' in response.content.decode()  # what was typed is kept
    assert Lead.objects.count() == 0
    response = client.post(_submit_url(published), _form_data(published, email="not-an-email"))
    assert "Enter a valid email address." in response.content.decode()
    assert Lead.objects.count() == 0


def test_honeypot_looks_like_success_but_stores_nothing(client, published):
    response = client.post(
        _submit_url(published), _form_data(published, email="bot@example.com", website="http://spam")
    )
    assert response.status_code == 200
    assert Lead.objects.count() == 0


def test_too_fast_is_not_stored(client, published, settings):
    settings.LEAD_MIN_SECONDS = 30
    response = client.post(_submit_url(published), _form_data(published, email="fast@example.com"))
    assert response.status_code == 200
    assert Lead.objects.count() == 0


def test_forged_token_is_refused(client, published):
    response = client.post(_submit_url(published), {**_form_data(published, email="a@example.com"), "ts": "forged"})
    assert response.status_code == 400
    assert "reload the page" in response.content.decode()
    assert Lead.objects.count() == 0


def test_rate_limited_per_address(client, published, settings):
    settings.LEAD_RATE_LIMIT = 2
    for n in range(2):
        assert client.post(_submit_url(published), _form_data(published, email=f"a{n}@example.com")).status_code == 200
    response = client.post(_submit_url(published), _form_data(published, email="a3@example.com"))
    assert response.status_code == 429
    assert Lead.objects.count() == 2


def test_taken_down_page_refuses_leads(client, published):
    services.unpublish_page(page=published)
    assert client.post(_submit_url(published), _form_data(published, email="a@example.com")).status_code == 410
    assert Lead.objects.count() == 0


def test_csv_neutralises_formulas(published):
    lead_services.submit_lead(
        page=published, data=_form_data(published, name="=HYPERLINK(1)", email="a@example.com"), address="203.0.113.9"
    )
    text = lead_services.leads_csv(Lead.objects.select_related("page", "conversion"))
    assert text.splitlines()[0].startswith("created_at,page,name,email")
    assert "'=HYPERLINK(1)" in text


def test_retention_deletes_old_leads_with_their_conversions(published):
    lead = lead_services.submit_lead(
        page=published, data=_form_data(published, email="old@example.com"), address="203.0.113.9"
    )
    fresh = lead_services.submit_lead(
        page=published, data=_form_data(published, email="new@example.com"), address="203.0.113.10"
    )
    Lead.objects.filter(pk=lead.pk).update(created_at=timezone.now() - timedelta(days=400))
    assert lead_services.purge_expired_leads() == 2  # the lead and its conversion
    assert list(Lead.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert Conversion.objects.count() == 1


@pytest.mark.parametrize("days", [0])
def test_retention_zero_keeps_leads(published, days):
    published.lead_retention_days = days
    published.save()
    lead = lead_services.submit_lead(
        page=published, data=_form_data(published, email="old@example.com"), address="203.0.113.9"
    )
    Lead.objects.filter(pk=lead.pk).update(created_at=timezone.now() - timedelta(days=4000))
    assert lead_services.purge_expired_leads() == 0
