"""Back then Generate again asks before charging twice; overlong text is refused with a message, never cut;
the badge and the progress panel say the same."""

import pytest
from django.urls import reverse

from credits import services as credit_services
from credits.models import CreditAccount
from generations.models import Generation, GenerationStatus
from tests.factories import PASSWORD, UserFactory
from tests.generations.test_customise_pages import form_data
from tests.templates_app.factories import create_template, make_spec

pytestmark = pytest.mark.django_db


@pytest.fixture
def template(db):
    return create_template(spec=make_spec(formats=("1:1", "9:16")))


@pytest.fixture
def user(db):
    user = UserFactory()
    credit_services.get_or_open_account(user=user)
    return user


@pytest.fixture
def signed_in(client, user):
    client.login(email=user.email, password=PASSWORD)
    return client


def available(user) -> int:
    account = CreditAccount.objects.get(user=user)
    return account.balance - account.reserved


def test_the_same_form_again_with_a_new_key_asks_first_and_charges_nothing(
    signed_in, user, template, django_capture_on_commit_callbacks
):
    url = reverse("generations:customise", args=[template.slug])
    with django_capture_on_commit_callbacks(execute=True):
        first = signed_in.post(url, form_data(request_key="k1"))
    assert first.status_code == 302
    before = available(user)

    # Back: the page is fetched again (no-store), says what was just made, with a new request key.
    back = signed_in.get(url)
    assert back["Cache-Control"] == "no-store"
    assert 'data-testid="recent-note"' in back.content.decode()

    again = signed_in.post(url, form_data(request_key="k2"))
    assert again.status_code == 409
    page = again.content.decode()
    assert "You made these ads" in page
    assert 'name="confirm_repeat"' in page
    assert Generation.objects.filter(user=user).count() == 1
    assert available(user) == before

    with django_capture_on_commit_callbacks(execute=True):
        confirmed = signed_in.post(url, form_data(request_key="k2", confirm_repeat="1"))
    assert confirmed.status_code == 302
    assert Generation.objects.filter(user=user).count() == 2
    assert available(user) == before - 2


def test_changed_words_generate_without_asking(signed_in, user, template, django_capture_on_commit_callbacks):
    url = reverse("generations:customise", args=[template.slug])
    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post(url, form_data(request_key="k1"))
    changed = signed_in.post(url, form_data(request_key="k2", text_headline="Winter sale"))
    assert changed.status_code == 302
    assert Generation.objects.filter(user=user).count() == 2


def test_the_same_key_twice_is_the_same_generation_not_a_question(signed_in, user, template):
    url = reverse("generations:customise", args=[template.slug])
    first = signed_in.post(url, form_data(request_key="k1"))
    second = signed_in.post(url, form_data(request_key="k1"))
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Generation.objects.filter(user=user).count() == 1


def test_overlong_text_is_refused_with_a_message_and_kept_whole(signed_in, user, template):
    url = reverse("generations:customise", args=[template.slug])
    pasted = "Fresh handmade pasta every single day of the week"  # 49 characters; the headline allows 40
    response = signed_in.post(url, form_data(text_headline=pasted))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Headline is too long: at most 40 characters." in page
    assert f'value="{pasted}"' in page  # what the user pasted, whole, for them to shorten
    assert "maxlength" not in page
    assert Generation.objects.filter(user=user).count() == 0


def test_the_badge_and_the_panel_count_the_same_formats(signed_in, user, template):
    url = reverse("generations:customise", args=[template.slug])
    signed_in.post(url, form_data(request_key="k1"))
    generation = Generation.objects.get(user=user)
    Generation.objects.filter(pk=generation.pk).update(
        status=GenerationStatus.RUNNING, progress={"1:1": "done", "9:16": "rendering"}
    )
    page = signed_in.get(reverse("generations:detail", args=[generation.pk])).content.decode()
    assert 'data-testid="status-badge">Making 1 of 2<' in page
    assert "1 of 2 formats done." in page
    panel = signed_in.get(reverse("generations:progress", args=[generation.pk]), HTTP_HX_REQUEST="true")
    body = panel.content.decode()
    assert 'hx-swap-oob="true" data-testid="status-badge">Making 1 of 2<' in body
    status = signed_in.get(reverse("generations:status", args=[generation.pk])).json()
    assert status["status_label"] == "Making 1 of 2"
