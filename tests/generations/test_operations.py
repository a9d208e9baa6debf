"""Image operations: priced, held, run, stored and charged once; refused or failed ones cost nothing
and leave nothing behind. Through the service, the pages, the API, the admin and a fake
Automatic1111 server (for the provider path and its transient errors)."""

import base64
import io
import json
import threading
import uuid
import xml.etree.ElementTree as ET
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from django.contrib.messages import get_messages
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from PIL import Image, ImageDraw
from rest_framework.test import APIClient

from accounts.models import AuditEvent
from craftplatform import jobs
from credits import services as credit_services
from credits.constants import HoldStatus, TransactionType
from credits.models import CreditAccount, CreditHold, CreditTransaction, PricingRule
from generations.models import (
    AIProvider,
    Asset,
    AssetKind,
    AssetStatus,
    CallStatus,
    ImageOperation,
    OperationStatus,
    ProviderCall,
)
from generations.services import operations as services
from generations.tasks.operations import run_image_operation_task
from tests.generations.factories import AssetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings) -> Path:
    """The throwaway media folder tests/conftest.py set for this test."""
    return Path(settings.MEDIA_ROOT)


SIGNUP_BONUS = 20
SVG = "{http://www.w3.org/2000/svg}"


# -- helpers ------------------------------------------------------------------------------------


def disc_png(size=(160, 120)) -> bytes:
    rng = np.random.default_rng(7)
    image = Image.fromarray(np.clip(rng.normal(215, 10, (size[1], size[0], 3)), 0, 255).astype(np.uint8))
    cx, cy, r = size[0] // 2, size[1] // 2, min(size) // 3
    ImageDraw.Draw(image).ellipse((cx - r, cy - r, cx + r, cy + r), fill=(30, 90, 200))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def photo(user):
    """An upload with a subject on a plain background, stored by the real upload service."""
    return services.upload_image(user=user, upload=SimpleUploadedFile("product.png", disc_png()))


def files_in(media_root: Path) -> set[str]:
    if not media_root.exists():
        return set()
    return {str(path.relative_to(media_root)) for path in media_root.rglob("*") if path.is_file()}


def account(user) -> CreditAccount:
    return credit_services.get_or_open_account(user=user)


def leave_available(user, credits: int) -> None:
    """Spend the signup bonus down to `credits`."""
    credit_services.spend_credits(
        user=user,
        amount=credit_services.get_or_open_account(user=user).balance - credits,
        reference_type="test",
        reference_id="x",
    )


def usage_entries(user):
    return CreditTransaction.objects.filter(account__user=user, type=TransactionType.USAGE)


def render_panel(user, asset) -> str:
    request = RequestFactory().get("/generations/assets/x/")
    request.user = user
    return render_to_string("generations/_operations.html", {"asset": asset}, request=request)


# -- the panel the asset page includes ----------------------------------------------------------


def test_the_panel_shows_each_action_with_its_price_for_this_user(user, photo):
    body = render_panel(user, photo)
    for key, price in (("upscale-2x", 2), ("upscale-4x", 4), ("remove-background", 2), ("vectorize", 3)):
        start = body.index(f'data-testid="operation-{key}"')
        button = body[start : body.index("</button>", start)]
        assert f"{price} credits" in button
        assert "disabled" not in button
    assert f"You have {SIGNUP_BONUS} credits available." in body
    assert reverse("credits:packs") in body
    assert body.count(f'action="{reverse("generations:request_operation", args=[photo.pk])}"') == 4


def test_the_asset_page_shows_the_panel(auth_client, user, photo):
    body = auth_client.get(reverse("generations:asset", args=[photo.pk])).content.decode()
    start = body.index('data-testid="operation-upscale-4x"')
    assert "4 credits" in body[start : body.index("</button>", start)]
    assert f'<input type="hidden" name="next" value="{reverse("generations:asset", args=[photo.pk])}">' in body


def test_the_panel_disables_what_the_user_cannot_afford_or_do_and_says_why(user, photo):
    leave_available(user, 3)
    body = render_panel(user, photo)
    assert "This needs 4 credits and you have 3 available." in body
    start = body.index('data-testid="operation-upscale-4x"')
    assert "disabled" in body[start : body.index(">", start)]
    start = body.index('data-testid="operation-vectorize"')
    assert "disabled" not in body[start : body.index(">", start)]

    svg = AssetFactory(user=user, file_format="svg", mime_type="image/svg+xml")
    svg_panel = render_panel(user, svg)
    assert "This image is already an SVG." in svg_panel
    assert svg_panel.count("This needs a PNG, JPEG or WebP image; this one is an SVG.") == 3

    PricingRule.objects.filter(operation="remove_background").update(enabled=False)
    assert "This action is switched off." in render_panel(user, photo)


# -- requesting, holding, charging --------------------------------------------------------------


def test_an_upscale_holds_its_price_then_charges_exactly_that_when_done(
    auth_client, user, photo, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        response = auth_client.post(
            reverse("generations:request_operation", args=[photo.pk]), {"operation": "upscale", "factor": "2"}
        )
    operation = ImageOperation.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("generations:operation", args=[operation.pk])
    assert (operation.status, operation.credits_quoted, operation.parameters) == ("queued", 2, {"factor": 2})
    hold = CreditHold.objects.get()
    assert (hold.amount, hold.status, hold.reference_type, hold.reference_id) == (
        2,
        HoldStatus.HELD,
        "image_operation",
        str(operation.pk),
    )
    assert hold.idempotency_key == f"image-operation:{operation.pk}"
    assert (account(user).balance, account(user).reserved) == (SIGNUP_BONUS, 2)
    assert len(enqueued) == 1

    waiting = auth_client.get(response.url).content.decode()
    assert 'hx-trigger="every 1s"' in waiting
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in waiting
    assert "2 credits are held and only taken when it is done." in waiting

    enqueued[0]()  # the worker runs the job

    operation.refresh_from_db()
    result = operation.result
    assert operation.status == OperationStatus.COMPLETED
    assert (operation.credits_used, operation.provider, operation.attempts) == (2, "builtin", 1)
    assert operation.completed_at is not None
    assert operation.processing_time_ms is not None
    assert (result.kind, result.source_id, result.user_id) == (AssetKind.OPERATION, photo.pk, user.pk)
    assert (result.width, result.height, result.file_format, result.mime_type) == (320, 240, "png", "image/png")
    with default_storage.open(result.file.name) as handle, Image.open(handle) as stored:
        assert stored.size == (320, 240)
    assert result.file.name.startswith(f"assets/{user.pk}/brand_product-upscaled-2x_")
    assert result.thumbnail.name.endswith("_thumb.webp")
    hold.refresh_from_db()
    assert (hold.status, hold.captured_amount) == (HoldStatus.CAPTURED, 2)
    assert (account(user).balance, account(user).reserved) == (SIGNUP_BONUS - 2, 0)
    entry = usage_entries(user).get()
    assert (entry.amount, entry.reference_type, entry.reference_id) == (-2, "image_operation", str(operation.pk))

    polled = auth_client.get(reverse("generations:operation", args=[operation.pk]), HTTP_HX_REQUEST="true")
    partial = polled.content.decode()
    assert partial.startswith('<div id="operation-status"')
    assert "hx-trigger" not in partial  # done: the polling stops
    assert 'id="topbar-credits" hx-swap-oob="true"' in partial
    assert f"{SIGNUP_BONUS - 2} credits</a>" in partial

    done = auth_client.get(reverse("generations:operation", args=[operation.pk])).content.decode()
    assert "hx-trigger" not in done
    assert reverse("generations:asset", args=[result.pk]) in done
    assert f"{reverse('generations:asset_file', args=[result.pk])}?download=1" in done
    assert "2 credits used." in done


def test_upscale_4x_costs_two_units(user, photo, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        operation = services.request_image_operation(user=user, asset_id=photo.pk, operation="upscale", factor=4)
    operation.refresh_from_db()
    assert (operation.status, operation.credits_quoted, operation.credits_used) == ("completed", 4, 4)
    assert (operation.result.width, operation.result.height) == (640, 480)
    assert CreditHold.objects.get().quantity == 2
    assert account(user).balance == SIGNUP_BONUS - 4


def test_background_removal_makes_a_transparent_png(user, photo, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        operation = services.request_image_operation(user=user, asset_id=photo.pk, operation="remove_background")
    operation.refresh_from_db()
    assert operation.status == OperationStatus.COMPLETED, operation.error_message
    with default_storage.open(operation.result.file.name) as handle, Image.open(handle) as stored:
        assert stored.mode == "RGBA"
        assert stored.getpixel((0, 0))[3] == 0
        assert stored.getpixel((80, 60))[3] == 255
    assert account(user).balance == SIGNUP_BONUS - 2


def test_vectorize_makes_an_svg_without_a_thumbnail(auth_client, user, photo, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        operation = services.request_image_operation(user=user, asset_id=photo.pk, operation="vectorize")
    operation.refresh_from_db()
    result = operation.result
    assert (result.file_format, result.mime_type, result.thumbnail.name) == ("svg", "image/svg+xml", "")
    assert result.file.name.endswith(".svg")
    with default_storage.open(result.file.name) as handle:
        root = ET.fromstring(handle.read())  # noqa: S314 - our own output
    assert (root.get("width"), root.get("height"), root.get("viewBox")) == ("160", "120", "0 0 160 120")
    assert root.findall(f"{SVG}path")
    assert account(user).balance == SIGNUP_BONUS - 3
    page = auth_client.get(reverse("generations:operation", args=[operation.pk])).content.decode()
    assert f'src="{reverse("generations:asset_file", args=[result.pk])}"' in page
    assert "Download SVG" in page


def test_not_enough_credits_says_so_and_creates_nothing(auth_client, user, photo, media):
    leave_available(user, 1)
    files_before = files_in(media)
    response = auth_client.post(
        reverse("generations:request_operation", args=[photo.pk]),
        {"operation": "upscale", "factor": "2", "next": "/generations/images/"},
        follow=True,
    )
    assert response.redirect_chain[0] == ("/generations/images/", 302)
    assert "This needs 2 credits and you have 1 available." in response.content.decode()
    assert not ImageOperation.objects.exists()
    assert not CreditHold.objects.exists()
    assert (account(user).balance, account(user).reserved) == (1, 0)
    assert files_in(media) == files_before


def test_a_request_without_an_operation_is_refused_with_a_message(auth_client, user, photo):
    response = auth_client.post(reverse("generations:request_operation", args=[photo.pk]), {"factor": "2"})
    assert response.url == reverse("generations:asset", args=[photo.pk])
    assert not ImageOperation.objects.exists()
    assert [str(message) for message in get_messages(response.wsgi_request)] == [
        "Choose an operation: upscale 2x or 4x, remove background or vectorize."
    ]
    assert auth_client.get(reverse("generations:request_operation", args=[photo.pk])).status_code == 405


def test_an_unsafe_next_is_not_followed(auth_client, user, photo):
    leave_available(user, 0)
    response = auth_client.post(
        reverse("generations:request_operation", args=[photo.pk]),
        {"operation": "vectorize", "next": "https://evil.example/"},
    )
    assert response.url == reverse("generations:asset", args=[photo.pk])


@pytest.mark.parametrize(
    ("operation", "factor", "message"),
    [
        ("upscale", None, "Choose how much to upscale: 2x or 4x."),
        ("upscale", 3, "Upscaling is offered at 2x or 4x."),
        ("sharpen", None, "Choose an operation: upscale, remove background or vectorize."),
    ],
)
def test_bad_requests_are_refused_with_a_message(user, photo, operation, factor, message):
    with pytest.raises(services.ImageOperationRefused) as refused:
        services.request_image_operation(user=user, asset_id=photo.pk, operation=operation, factor=factor)
    assert refused.value.message == message
    assert not ImageOperation.objects.exists()
    assert not CreditHold.objects.exists()


def test_vectorize_refuses_an_svg_and_upscale_a_result_above_the_pixel_limit(user):
    svg = AssetFactory(user=user, file_format="svg", mime_type="image/svg+xml")
    with pytest.raises(services.ImageOperationRefused, match=r"This image is already an SVG\."):
        services.request_image_operation(user=user, asset_id=svg.pk, operation="vectorize")
    large = AssetFactory(user=user, width=2001, height=2000)
    with pytest.raises(services.ImageOperationRefused) as refused:
        services.request_image_operation(user=user, asset_id=large.pk, operation="upscale", factor=4)
    assert refused.value.message == (
        "Upscaling 2001×2000 by 4x would make 8004×8000 pixels (64 MP); the limit is 64 MP."
    )
    expired = AssetFactory(user=user, status=AssetStatus.EXPIRED)
    with pytest.raises(services.ImageOperationRefused, match=r"This image has expired\."):
        services.request_image_operation(user=user, asset_id=expired.pk, operation="upscale", factor=2)
    assert not ImageOperation.objects.exists()
    assert not CreditHold.objects.exists()


def test_another_users_image_and_operation_answer_404(
    auth_client, user, other_user, django_capture_on_commit_callbacks
):
    theirs = AssetFactory(user=other_user)
    response = auth_client.post(
        reverse("generations:request_operation", args=[theirs.pk]), {"operation": "upscale", "factor": "2"}
    )
    assert response.status_code == 404
    with pytest.raises(Http404):
        services.request_image_operation(user=user, asset_id=theirs.pk, operation="upscale", factor=2)
    with django_capture_on_commit_callbacks(execute=True):
        their_operation = services.request_image_operation(
            user=other_user, asset_id=theirs.pk, operation="upscale", factor=2
        )
    assert auth_client.get(reverse("generations:operation", args=[their_operation.pk])).status_code == 404
    api = APIClient()
    api.force_authenticate(user)
    assert api.post(reverse("api-image-operations", args=[theirs.pk]), {"operation": "vectorize"}).status_code == 404
    assert api.get(reverse("api-operation", args=[their_operation.pk])).status_code == 404
    assert ImageOperation.objects.filter(user=user).count() == 0
    assert account(user).balance == SIGNUP_BONUS


def test_the_same_request_key_makes_one_operation(user, photo, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = services.request_image_operation(
            user=user, asset_id=photo.pk, operation="upscale", factor=2, request_key="k1"
        )
        again = services.request_image_operation(
            user=user, asset_id=photo.pk, operation="upscale", factor="2", request_key="k1"
        )
    assert again.pk == first.pk
    assert ImageOperation.objects.count() == 1
    assert CreditHold.objects.count() == 1
    assert account(user).balance == SIGNUP_BONUS - 2
    with pytest.raises(services.ImageOperationRefused, match="already made for a different image or operation"):
        services.request_image_operation(user=user, asset_id=photo.pk, operation="vectorize", request_key="k1")


def test_a_double_submitted_form_makes_one_operation(auth_client, user, photo, django_capture_on_commit_callbacks):
    form = {"operation": "remove_background", "request_key": uuid.uuid4().hex}
    url = reverse("generations:request_operation", args=[photo.pk])
    with django_capture_on_commit_callbacks(execute=True):
        first = auth_client.post(url, form)
        second = auth_client.post(url, form)
    assert first.url == second.url
    assert ImageOperation.objects.count() == 1
    assert usage_entries(user).count() == 1


# -- the job: once, and failures that cost nothing ----------------------------------------------


def test_running_the_task_twice_stores_and_charges_once(user, photo, media, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        operation = services.request_image_operation(user=user, asset_id=photo.pk, operation="upscale", factor=2)
    files_after_first = files_in(media)

    assert run_image_operation_task.delay(str(operation.pk)).get() == "skipped"
    assert services.run_image_operation(operation_id=operation.pk) == "skipped"

    assert Asset.objects.filter(kind=AssetKind.OPERATION).count() == 1
    assert usage_entries(user).count() == 1
    assert account(user).balance == SIGNUP_BONUS - 2
    assert files_in(media) == files_after_first
    operation.refresh_from_db()
    assert operation.attempts == 1


def test_a_missing_source_file_fails_releases_the_hold_and_says_why(
    auth_client, user, photo, media, django_capture_on_commit_callbacks
):
    default_storage.delete(photo.file.name)
    files_before = files_in(media)
    with django_capture_on_commit_callbacks(execute=True):
        operation = services.request_image_operation(user=user, asset_id=photo.pk, operation="upscale", factor=2)
    operation.refresh_from_db()
    assert operation.status == OperationStatus.FAILED
    assert operation.error_message == "The original image is no longer available. Nothing was charged."
    assert operation.result is None
    assert CreditHold.objects.get().status == HoldStatus.RELEASED
    assert (account(user).balance, account(user).reserved) == (SIGNUP_BONUS, 0)
    assert not usage_entries(user).exists()
    assert files_in(media) == files_before

    page = auth_client.get(reverse("generations:operation", args=[operation.pk])).content.decode()
    assert "The original image is no longer available. Nothing was charged." in page
    assert "hx-trigger" not in page


def test_a_corrupted_source_file_fails_and_costs_nothing(user, photo, django_capture_on_commit_callbacks):
    path = Path(default_storage.path(photo.file.name))
    path.write_bytes(path.read_bytes()[:60])  # a truncated PNG
    with django_capture_on_commit_callbacks(execute=True):
        operation = services.request_image_operation(user=user, asset_id=photo.pk, operation="vectorize")
    operation.refresh_from_db()
    assert operation.status == OperationStatus.FAILED
    assert operation.error_message == "The original image could not be read; it may be damaged. Nothing was charged."
    assert account(user).balance == SIGNUP_BONUS
    assert not Asset.objects.filter(kind=AssetKind.OPERATION).exists()


class ThumbnailsFailStorage(FileSystemStorage):
    """Saves result files, then fails on the thumbnail: the half-written result must be removed."""

    def _save(self, name, content):
        if name.endswith("_thumb.webp"):
            raise OSError("disk full")
        return super()._save(name, content)


def test_a_storage_failure_half_way_leaves_no_file_no_record_and_no_charge(
    user, photo, settings, media, django_capture_on_commit_callbacks
):
    files_before = files_in(media)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "tests.generations.test_operations.ThumbnailsFailStorage"},
    }
    with django_capture_on_commit_callbacks(execute=True):
        operation = services.request_image_operation(user=user, asset_id=photo.pk, operation="upscale", factor=2)
    operation.refresh_from_db()
    assert operation.status == OperationStatus.FAILED
    assert operation.error_message == (
        "Something went wrong while processing the image. Nothing was charged; please try again."
    )
    assert files_in(media) == files_before
    assert not Asset.objects.filter(kind=AssetKind.OPERATION).exists()
    assert CreditHold.objects.get().status == HoldStatus.RELEASED
    assert (account(user).balance, account(user).reserved) == (SIGNUP_BONUS, 0)


def test_a_flat_image_has_no_subject_to_cut_out(user, django_capture_on_commit_callbacks):
    flat = AssetFactory(user=user, size=(80, 60))
    with django_capture_on_commit_callbacks(execute=True):
        operation = services.request_image_operation(user=user, asset_id=flat.pk, operation="remove_background")
    operation.refresh_from_db()
    assert operation.status == OperationStatus.FAILED
    assert operation.error_message == "No subject stands out from the background in this image. Nothing was charged."
    assert account(user).balance == SIGNUP_BONUS


# -- the sweep ----------------------------------------------------------------------------------


def test_the_sweep_requeues_a_stuck_operation_then_fails_it_after_the_last_attempt(
    user, photo, settings, django_capture_on_commit_callbacks
):
    settings.GENERATION_MAX_ATTEMPTS = 3
    with django_capture_on_commit_callbacks(execute=False):
        operation = services.request_image_operation(user=user, asset_id=photo.pk, operation="upscale", factor=2)

    for attempt in (1, 2):
        assert jobs.claim(ImageOperation, operation.pk)  # a worker takes it, then dies
        operation.refresh_from_db()
        assert (operation.status, operation.attempts) == ("processing", attempt)
        assert services.sweep_stuck_operations(now=operation.lease_expires_at - timedelta(seconds=1)) == 0
        with django_capture_on_commit_callbacks(execute=False) as enqueued:
            assert services.sweep_stuck_operations(now=operation.lease_expires_at + timedelta(seconds=1)) == 1
        assert len(enqueued) == 1
        operation.refresh_from_db()
        assert (operation.status, operation.lease_expires_at) == ("queued", None)
        assert CreditHold.objects.get().status == HoldStatus.HELD

    assert jobs.claim(ImageOperation, operation.pk)
    operation.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        assert services.sweep_stuck_operations(now=operation.lease_expires_at + timedelta(seconds=1)) == 1
    assert enqueued == []
    operation.refresh_from_db()
    assert operation.status == OperationStatus.FAILED
    assert (
        operation.error_message
        == "This did not finish after 3 attempts and was stopped. Nothing was charged; please try again."
    )
    assert CreditHold.objects.get().status == HoldStatus.RELEASED
    assert (account(user).balance, account(user).reserved) == (SIGNUP_BONUS, 0)
    # The dead worker's job, delivered again, finds nothing to do.
    assert services.run_image_operation(operation_id=operation.pk) == "skipped"


def test_a_requeued_operation_runs_to_completion(user, photo, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        operation = services.request_image_operation(user=user, asset_id=photo.pk, operation="upscale", factor=2)
    jobs.claim(ImageOperation, operation.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.sweep_stuck_operations(now=timezone.now() + timedelta(days=1))
    operation.refresh_from_db()
    assert (operation.status, operation.attempts, operation.credits_used) == ("completed", 2, 2)
    assert account(user).balance == SIGNUP_BONUS - 2


def test_an_operation_whose_message_was_lost_is_enqueued_again(user, photo, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):  # the broker never delivers it
        operation = services.request_image_operation(user=user, asset_id=photo.pk, operation="vectorize")
    soon = timezone.now() + timedelta(minutes=5)
    with django_capture_on_commit_callbacks(execute=True) as enqueued:
        assert services.sweep_stuck_operations(now=soon) == 0
    assert enqueued == []
    later = timezone.now() + timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True) as enqueued:
        assert services.sweep_stuck_operations(now=later) == 1
    assert len(enqueued) == 1
    operation.refresh_from_db()
    assert (operation.status, operation.credits_used) == ("completed", 3)
    assert services.sweep_stuck_operations(now=later + timedelta(hours=1)) == 0


def test_a_stale_attempt_finishing_late_does_not_store_a_second_result(user, photo, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        operation = services.request_image_operation(user=user, asset_id=photo.pk, operation="upscale", factor=2)
    jobs.claim(ImageOperation, operation.pk)  # attempt 1 hangs
    services.sweep_stuck_operations(now=timezone.now() + timedelta(days=1))
    assert services.run_image_operation(operation_id=operation.pk) == "completed"  # attempt 2
    assert services.run_image_operation(operation_id=operation.pk) == "skipped"
    assert Asset.objects.filter(kind=AssetKind.OPERATION).count() == 1
    assert usage_entries(user).count() == 1


def test_a_hold_released_by_its_expiry_is_not_charged_for_a_late_result(
    user, photo, media, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        operation = services.request_image_operation(user=user, asset_id=photo.pk, operation="upscale", factor=2)
    files_before = files_in(media)
    credit_services.release_expired_holds(now=timezone.now() + timedelta(days=1))
    assert services.run_image_operation(operation_id=operation.pk) == "failed"
    operation.refresh_from_db()
    assert operation.error_message.startswith("The credits held for this took too long to be used and were returned.")
    assert files_in(media) == files_before
    assert account(user).balance == SIGNUP_BONUS


# -- an AI provider (a fake Automatic1111 server over HTTP) ---------------------------------------


class FakeAutomatic1111:
    """Answers /sdapi/v1/extra-single-image like the web UI: the image enlarged (nearest neighbour, so
    the tests can tell it from the built-in Lanczos), after `failures` answers of 503."""

    def __init__(self) -> None:
        self.failures = 0
        self.requests: list[dict] = []

    def answer(self, path: str, payload: dict) -> tuple[int, dict, dict]:
        self.requests.append({"path": path, "payload": payload})
        if self.failures:
            self.failures -= 1
            return 503, {"Retry-After": "0"}, {"error": "busy"}
        image = Image.open(io.BytesIO(base64.b64decode(payload["image"])))
        factor = payload["upscaling_resize"]
        enlarged = image.resize((image.width * factor, image.height * factor), Image.Resampling.NEAREST)
        out = io.BytesIO()
        enlarged.save(out, format="PNG")
        return 200, {}, {"image": base64.b64encode(out.getvalue()).decode(), "html_info": ""}


@pytest.fixture
def automatic1111(settings):
    fake = FakeAutomatic1111()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            status, headers, body = fake.answer(self.path, payload)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.AUTOMATIC1111_URL = f"http://127.0.0.1:{server.server_address[1]}"
    settings.AUTOMATIC1111_UPSCALER = "R-ESRGAN 4x+"
    settings.AI_PROVIDER_TIMEOUT_SECONDS = 5
    AIProvider.objects.update_or_create(key="automatic1111", defaults={"enabled": True})
    yield fake
    server.shutdown()
    server.server_close()


def test_a_configured_provider_does_the_upscale(user, photo, automatic1111, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        operation = services.request_image_operation(user=user, asset_id=photo.pk, operation="upscale", factor=2)
    operation.refresh_from_db()
    assert operation.status == OperationStatus.COMPLETED, operation.error_message
    assert operation.provider == "automatic1111"
    assert [request["path"] for request in automatic1111.requests] == ["/sdapi/v1/extra-single-image"]
    with default_storage.open(operation.result.file.name) as handle, Image.open(handle) as stored:
        assert stored.size == (320, 240)
    call = ProviderCall.objects.get()
    assert (call.image_operation_id, call.status, call.operation) == (operation.pk, CallStatus.SUCCESS, "upscale")
    assert account(user).balance == SIGNUP_BONUS - 2


def test_a_busy_provider_is_retried_and_charged_once(user, photo, automatic1111, django_capture_on_commit_callbacks):
    automatic1111.failures = 1
    with django_capture_on_commit_callbacks(execute=True):
        operation = services.request_image_operation(user=user, asset_id=photo.pk, operation="upscale", factor=2)
    operation.refresh_from_db()
    assert operation.status == OperationStatus.COMPLETED, operation.error_message
    assert (operation.attempts, operation.provider) == (2, "automatic1111")
    assert list(ProviderCall.objects.order_by("attempt").values_list("attempt", "status")) == [
        (1, CallStatus.SERVER_ERROR),
        (2, CallStatus.SUCCESS),
    ]
    assert usage_entries(user).count() == 1
    assert account(user).balance == SIGNUP_BONUS - 2


def test_a_provider_that_stays_busy_fails_the_operation_after_the_last_attempt(
    user, photo, settings, automatic1111, media, django_capture_on_commit_callbacks
):
    settings.GENERATION_MAX_ATTEMPTS = 3
    automatic1111.failures = 10
    files_before = files_in(media)
    with django_capture_on_commit_callbacks(execute=True):
        operation = services.request_image_operation(user=user, asset_id=photo.pk, operation="upscale", factor=2)
    operation.refresh_from_db()
    assert operation.status == OperationStatus.FAILED
    assert operation.attempts == 3
    assert len(automatic1111.requests) == 3
    assert operation.error_message.endswith("Nothing was charged.")
    assert CreditHold.objects.get().status == HoldStatus.RELEASED
    assert (account(user).balance, account(user).reserved) == (SIGNUP_BONUS, 0)
    assert files_in(media) == files_before


# -- API ------------------------------------------------------------------------------------------


def test_api_requests_an_operation_and_reads_its_status(user, photo, django_capture_on_commit_callbacks):
    api = APIClient()
    api.force_authenticate(user)
    url = reverse("api-image-operations", args=[photo.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(url, {"operation": "upscale", "factor": 4}, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    assert response.status_code == 202
    body = response.json()
    assert (body["operation_type"], body["status"], body["credits_quoted"]) == ("upscale", "queued", 4)

    status = api.get(reverse("api-operation", args=[body["id"]])).json()
    assert (status["status"], status["credits_used"]) == ("completed", 4)
    assert status["result"]["width"] == 640
    assert status["result"]["file_url"].endswith(reverse("generations:asset_file", args=[status["result"]["id"]]))

    with django_capture_on_commit_callbacks(execute=True):
        replay = api.post(url, {"operation": "upscale", "factor": 4}, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    assert replay.json()["id"] == body["id"]
    assert usage_entries(user).count() == 1


def test_api_errors_are_clear(user, photo):
    api = APIClient()
    api.force_authenticate(user)
    url = reverse("api-image-operations", args=[photo.pk])

    bad_factor = api.post(url, {"operation": "upscale", "factor": 3}, format="json")
    assert bad_factor.status_code == 400
    assert "factor" in bad_factor.json()["errors"]

    missing_factor = api.post(url, {"operation": "upscale"}, format="json")
    assert missing_factor.status_code == 400
    assert missing_factor.json() == {"detail": "Choose how much to upscale: 2x or 4x.", "code": "invalid_factor"}

    svg = AssetFactory(user=user, file_format="svg")
    refused = api.post(reverse("api-image-operations", args=[svg.pk]), {"operation": "vectorize"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["detail"] == "This image is already an SVG."

    leave_available(user, 2)
    poor = api.post(url, {"operation": "vectorize"}, format="json")
    assert poor.status_code == 402
    assert poor.json() == {
        "detail": "This needs 3 credits and you have 2 available.",
        "code": "insufficient_credits",
        "needed": 3,
        "available": 2,
    }
    assert not ImageOperation.objects.exists()


# -- admin ----------------------------------------------------------------------------------------


def test_staff_retry_a_failed_operation_with_a_new_hold_and_an_audit_entry(
    admin_client_, staff_user, user, photo, django_capture_on_commit_callbacks
):
    stored_name = photo.file.name
    original = default_storage.open(stored_name).read()
    default_storage.delete(stored_name)
    with django_capture_on_commit_callbacks(execute=True):
        operation = services.request_image_operation(user=user, asset_id=photo.pk, operation="upscale", factor=2)
    operation.refresh_from_db()
    assert operation.status == OperationStatus.FAILED
    first_hold = operation.hold_id

    changelist = reverse("admin:generations_imageoperation_changelist")
    listing = admin_client_.get(changelist, {"status__exact": "failed"})
    assert listing.status_code == 200
    assert "The original image is no longer available" not in listing.content.decode()  # messages stay out of lists
    assert admin_client_.get(reverse("admin:generations_imageoperation_change", args=[operation.pk])).status_code == 200

    default_storage.save(stored_name, io.BytesIO(original))  # support put the file back
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_.post(
            changelist,
            {"action": "retry_failed_operations", "_selected_action": [str(operation.pk)]},
            follow=True,
        )
    assert "1 operation(s) queued again." in response.content.decode()
    operation.refresh_from_db()
    assert operation.status == OperationStatus.COMPLETED, operation.error_message
    assert operation.hold_id != first_hold
    holds = {hold.pk: hold for hold in CreditHold.objects.all()}
    assert holds[first_hold].status == HoldStatus.RELEASED
    assert holds[operation.hold_id].status == HoldStatus.CAPTURED
    assert account(user).balance == SIGNUP_BONUS - 2
    audit = AuditEvent.objects.get(action="generations.image_operation_retried")
    assert (audit.actor_id, audit.target_id) == (staff_user.pk, str(operation.pk))

    again = admin_client_.post(
        changelist, {"action": "retry_failed_operations", "_selected_action": [str(operation.pk)]}, follow=True
    )
    assert "1 selected operation(s) had not failed and were left alone." in again.content.decode()
    assert CreditHold.objects.count() == 2


def test_the_admin_cannot_add_or_edit_operations(admin_client_, user, photo, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        operation = services.request_image_operation(user=user, asset_id=photo.pk, operation="upscale", factor=2)
    change = reverse("admin:generations_imageoperation_change", args=[operation.pk])
    assert admin_client_.get(reverse("admin:generations_imageoperation_add")).status_code == 403
    assert admin_client_.post(change, {"credits_used": "0", "status": "failed"}).status_code == 403
    operation.refresh_from_db()
    assert (operation.status, operation.credits_used) == ("completed", 2)


def test_the_task_gives_up_after_its_last_retry_and_releases_the_hold(
    user, photo, settings, automatic1111, django_capture_on_commit_callbacks
):
    settings.GENERATION_MAX_ATTEMPTS = 4  # one cap, from settings (the runner's retry policy)
    automatic1111.failures = 10
    with django_capture_on_commit_callbacks(execute=True):
        operation = services.request_image_operation(user=user, asset_id=photo.pk, operation="upscale", factor=2)
    operation.refresh_from_db()
    assert operation.status == OperationStatus.FAILED
    assert (operation.attempts, len(automatic1111.requests)) == (4, 4)
    assert operation.error_message == (
        "The Automatic1111 image server had a problem on its side (HTTP 503). Nothing was charged."
    )
    assert CreditHold.objects.get().status == HoldStatus.RELEASED
    assert account(user).balance == SIGNUP_BONUS
