"""The one email path: preferences decide, receipts always go, one-click unsubscribe (RFC 8058), generation emails."""

from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts import emails
from accounts.models import UserPreference
from craftplatform import jobs
from credits import emails as credit_emails
from credits import services as credit_services
from credits.constants import PaymentKind
from credits.models import Payment
from generations.models import Generation, GenerationStatus
from generations.services import generation as generation_services
from generations.tasks.notifications import send_generation_failed_task
from tests.factories import UserFactory
from tests.templates_app.factories import create_template, make_spec

pytestmark = pytest.mark.django_db


@pytest.fixture
def user(db):
    user = UserFactory(email="maria@example.com", first_name="Maria")
    credit_services.get_or_open_account(user=user)
    return user


def set_pref(user, **values):
    prefs, _ = UserPreference.objects.get_or_create(user=user)
    prefs.notification_settings = {**prefs.notification_settings, **values}
    prefs.save()


def generate(user, captured, *, headline="Fresh bread"):
    template = create_template(name="Fresh pasta", spec=make_spec(formats=("1:1", "4:5")))
    request = generation_services.GenerationRequest(
        template_id=template.pk, formats=["1:1", "4:5"], texts={"headline": headline}
    )
    with captured(execute=True):
        [generation] = generation_services.request_generation(user=user, request=request)
    generation.refresh_from_db()
    return generation


def unsubscribe_path(message) -> str:
    header = message.extra_headers["List-Unsubscribe"]
    assert header.startswith("<")
    assert header.endswith(">")
    return urlsplit(header[1:-1]).path


def test_a_finished_generation_emails_ready_with_thumbnails_link_and_one_click_unsubscribe(
    user, django_capture_on_commit_callbacks
):
    generation = generate(user, django_capture_on_commit_callbacks)
    assert generation.status == GenerationStatus.COMPLETED
    [message] = mail.outbox
    assert message.to == ["maria@example.com"]
    assert message.subject == "Your ads are ready: Fresh pasta"
    detail = reverse("generations:detail", args=[generation.pk])
    assert detail in message.body
    html = message.alternatives[0][0]
    assert html.count('src="cid:') == 2
    images = [part for part in message.attachments if part.get_content_maintype() == "image"]
    assert len(images) == 2
    assert {part["Content-ID"] for part in images} == {"<ad-0@craftads>", "<ad-1@craftads>"}
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.message()["List-Unsubscribe"] == message.extra_headers["List-Unsubscribe"]


def test_the_preference_off_sends_no_generation_email(user, django_capture_on_commit_callbacks):
    set_pref(user, generation_finished=False)
    generate(user, django_capture_on_commit_callbacks)
    assert mail.outbox == []


def test_a_failed_generation_emails_could_not_be_made(user, django_capture_on_commit_callbacks):
    template = create_template(name="Fresh pasta", spec=make_spec(formats=("1:1",)))
    request = generation_services.GenerationRequest(template_id=template.pk, formats=["1:1"], texts={"headline": "x"})
    with django_capture_on_commit_callbacks(execute=False):
        [generation] = generation_services.request_generation(user=user, request=request)
    with django_capture_on_commit_callbacks(execute=True):
        assert generation_services.fail_generation(generation_id=generation.pk, message="The renderer stopped.")
    [message] = mail.outbox
    assert message.subject == "Your ads could not be made: Fresh pasta"
    assert "The renderer stopped." in message.body
    assert "No credits were taken" in message.body
    assert "List-Unsubscribe" in message.extra_headers


def _queued_generation(user, captured):
    template = create_template(name="Fresh pasta", spec=make_spec(formats=("1:1",)))
    request = generation_services.GenerationRequest(template_id=template.pk, formats=["1:1"], texts={"headline": "x"})
    with captured(execute=False):
        [generation] = generation_services.request_generation(user=user, request=request)
    return generation


def test_a_generation_the_sweep_times_out_emails_could_not_be_made(user, django_capture_on_commit_callbacks, settings):
    """The sweep fails a generation that waited past the queue time-out (workers down): the owner is
    told, as for a failure in the worker."""
    generation = _queued_generation(user, django_capture_on_commit_callbacks)
    later = timezone.now() + timedelta(seconds=settings.JOBS_QUEUE_TIMEOUT_SECONDS + 60)
    with django_capture_on_commit_callbacks(execute=True):
        assert generation_services.sweep_stuck_generations(now=later)["failed"] == 1
    generation.refresh_from_db()
    assert generation.status == GenerationStatus.FAILED
    [message] = mail.outbox
    assert message.subject == "Your ads could not be made: Fresh pasta"
    assert generation.error_message in message.body


def test_a_generation_its_owner_cancelled_sends_no_email(user, django_capture_on_commit_callbacks):
    generation = _queued_generation(user, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.cancel(Generation, generation.pk)
    assert mail.outbox == []


def test_the_failure_notice_sends_nothing_once_the_generation_is_no_longer_failed(
    user, django_capture_on_commit_callbacks
):
    generation = _queued_generation(user, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=False):
        assert generation_services.fail_generation(generation_id=generation.pk, message="The renderer stopped.")
    Generation.objects.filter(pk=generation.pk).update(status=GenerationStatus.QUEUED)  # staff retried it
    assert send_generation_failed_task(str(generation.pk)) is False
    assert mail.outbox == []


def test_one_click_post_turns_the_preference_off_without_signing_in(client, user, django_capture_on_commit_callbacks):
    generate(user, django_capture_on_commit_callbacks)
    path = unsubscribe_path(mail.outbox[0])
    # What a mail provider sends (RFC 8058): a POST with this body, no cookies, no CSRF token.
    response = client.post(path, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    assert UserPreference.objects.get(user=user).notification("generation_finished") is False
    mail.outbox.clear()
    generate(user, django_capture_on_commit_callbacks, headline="Again")
    assert mail.outbox == []


def test_the_unsubscribe_link_asks_first_on_get_and_refuses_an_altered_token(client, user):
    token = emails.unsubscribe_token(user_id=user.pk, kind="generation_finished")
    page = client.get(reverse("accounts:unsubscribe", args=[token]))
    assert page.status_code == 200
    assert "Stop these emails" in page.content.decode()
    assert UserPreference.objects.get(user=user).notification("generation_finished") is True
    bad = client.post(reverse("accounts:unsubscribe", args=[token[:-2] + "xx"]))
    assert bad.status_code == 400
    assert UserPreference.objects.get(user=user).notification("generation_finished") is True


def test_an_opt_out_made_after_queueing_wins_at_the_worker(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert emails.send_email(
            user=user,
            kind="generation_finished",
            template="generations/email/failed",
            subject="s",
            context={"generation": None, "template_name": "x", "detail_url": "http://x/"},
        )
    set_pref(user, generation_finished=False)
    for callback in queued:
        callback()
    assert mail.outbox == []


def make_payment(user) -> Payment:
    return Payment.objects.create(
        user=user,
        account=user.credit_account,
        kind=PaymentKind.CREDIT_PACK,
        provider_payment_id="cs_test_1",
        amount=Decimal("9.00"),
        currency="eur",
        credits=100,
    )


def test_receipts_always_go_even_with_every_preference_off(user, django_capture_on_commit_callbacks):
    set_pref(user, generation_finished=False, billing=False, product_updates=False)
    payment = make_payment(user)
    with django_capture_on_commit_callbacks(execute=True):
        assert credit_emails.send_receipt(payment) is True
        assert credit_emails.send_payment_failed(payment) is False
    [receipt] = mail.outbox
    assert "receipt" in receipt.subject.lower()
    assert "List-Unsubscribe" not in receipt.extra_headers


def test_a_failed_payment_notice_follows_the_billing_preference_with_unsubscribe(
    user, django_capture_on_commit_callbacks
):
    payment = make_payment(user)
    with django_capture_on_commit_callbacks(execute=True):
        assert credit_emails.send_payment_failed(payment) is True
    [notice] = mail.outbox
    assert notice.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Unsubscribe" in notice.alternatives[0][0]
