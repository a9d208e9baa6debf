"""Requesting a generation and the job that makes it: prices, holds, files, failures, the sweep."""

import io
from datetime import timedelta

import pytest
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageChops

from craftplatform import jobs
from credits import services as credit_services
from credits.errors import CreditError
from credits.models import CreditAccount, CreditHold, CreditTransaction, HoldStatus
from generations.errors import InvalidGenerationRequest
from generations.models import Asset, AssetKind, AssetStatus, Generation, GenerationStatus
from generations.services import generation as generation_services
from generations.services import retention
from generations.services.generation import render as generation_render
from templates_app import selectors as template_selectors
from templates_app.renderer import render_ad
from tests.factories import UserFactory
from tests.generations.factories import png_bytes
from tests.templates_app.factories import create_template, make_spec

ALL_FORMATS = ["1:1", "4:5", "9:16", "16:9"]


def balance(user) -> tuple[int, int]:
    account = CreditAccount.objects.get(user=user)
    return account.balance, account.reserved


def stored_names() -> set[str]:
    found: set[str] = set()

    def walk(path: str) -> None:
        dirs, files = default_storage.listdir(path)
        found.update(f"{path}/{name}" if path else name for name in files)
        for folder in dirs:
            walk(f"{path}/{folder}" if path else folder)

    if default_storage.exists("assets"):
        walk("assets")
    return found


@pytest.fixture
def template(db):
    return create_template(spec=make_spec(formats=("1:1", "9:16")))


@pytest.fixture
def user(db):
    user = UserFactory()
    credit_services.get_or_open_account(user=user)  # with the sign-up bonus
    return user


def ask(user, template, **changes) -> list[Generation]:
    values = {"template_id": template.pk, "formats": ALL_FORMATS, "texts": {"headline": "Autumn sale"}, **changes}
    return generation_services.request_generation(user=user, request=generation_services.GenerationRequest(**values))


def test_a_generation_renders_every_format_and_charges_exactly_the_quoted_price(
    user, template, django_capture_on_commit_callbacks
):
    before, _ = balance(user)
    price = generation_services.price_generation(user=user, format_count=4)
    assert price.total == 4
    assert price.allowed

    with django_capture_on_commit_callbacks(execute=True):
        [generation] = ask(user, template)

    generation.refresh_from_db()
    assert generation.status == GenerationStatus.COMPLETED
    assert generation.credits_quoted == generation.credits_used == 4
    assert balance(user) == (before - 4, 0)
    results = {asset.format_key: asset for asset in generation.assets.filter(kind=AssetKind.RESULT)}
    assert sorted(results) == sorted(ALL_FORMATS)
    sizes = {"1:1": (1080, 1080), "4:5": (1080, 1350), "9:16": (1080, 1920), "16:9": (1920, 1080)}
    for key, asset in results.items():
        with default_storage.open(asset.file.name) as handle:
            image = Image.open(io.BytesIO(handle.read()))
        assert image.size == sizes[key] == (asset.width, asset.height)
        assert default_storage.exists(asset.thumbnail.name)
        # Readable names: brand/template/format/date, never a bare id.
        assert template.name.lower().replace(" ", "-") in asset.file.name
        assert key.replace(":", "x") in asset.file.name
    usage = CreditTransaction.objects.filter(reference_type="generation", reference_id=str(generation.pk))
    assert sum(entry.amount for entry in usage) == -4
    assert generation.progress == dict.fromkeys(ALL_FORMATS, "done")
    # Lineage: enough to render it again.
    assert generation.spec_version == template.spec_version
    assert generation.customization_data["texts"] == {"headline": "Autumn sale"}
    assert generation.seed > 0


def test_free_plan_output_carries_the_watermark(user, template, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        [generation] = ask(user, template, formats=["1:1"], output_format="png")
    generation.refresh_from_db()
    assert generation.watermarked is True
    asset = generation.assets.get(kind=AssetKind.RESULT)
    with default_storage.open(asset.file.name) as handle:
        marked = Image.open(io.BytesIO(handle.read())).convert("RGB")
    # The same ad rendered without the watermark differs only in the bottom-right corner.
    spec = template_selectors.get_spec_for_generation(template_id=template.pk, version=template.spec_version)
    inputs = generation_render.render_inputs(generation, spec, None, generation.attempts)
    plain = render_ad(spec, "1:1", inputs).image.convert("RGB")
    box = ImageChops.difference(marked, plain).getbbox()
    assert box is not None
    assert box[0] > 1080 * 0.5
    assert box[1] > 1080 * 0.85


def test_not_enough_credits_creates_nothing(user, template, django_capture_on_commit_callbacks):
    account = CreditAccount.objects.get(user=user)
    available = account.balance
    credit_services.spend_credits(
        user=user, amount=available - 3, operation="generate_format", reference_type="test", reference_id="setup"
    )
    available = 3
    files_before = stored_names()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(CreditError) as caught:
        ask(user, template)  # 4 formats, 3 credits
    assert "credits" in caught.value.message
    assert Generation.objects.count() == 0
    assert CreditHold.objects.filter(account=account).count() == 0
    assert balance(user) == (available, 0)
    assert stored_names() == files_before


def test_an_uploaded_image_is_not_kept_when_the_request_is_refused(user, template):
    upload = SimpleUploadedFile("shop.png", png_bytes((300, 200)), content_type="image/png")
    account = CreditAccount.objects.get(user=user)
    credit_services.spend_credits(
        user=user, amount=account.balance - 1, operation="generate_format", reference_type="test", reference_id="setup"
    )
    with pytest.raises(CreditError):
        ask(user, template, image_uploads={"logo": upload})
    assert Asset.objects.count() == 0
    assert stored_names() == set()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"formats": ["2:3"]}, "formats"),
        ({"formats": []}, "formats"),
        ({"texts": {"headline": "x" * 41}}, "text_headline"),
        ({"texts": {"nope": "hi"}}, "text_nope"),
        ({"colors": {"accent": "red"}}, "color_accent"),
        ({"image_asset_ids": {"logo": "00000000-0000-0000-0000-000000000000"}}, "image_logo"),
        ({"count": 0}, "count"),
        ({"output_format": "gif"}, "output_format"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_changes_nothing(user, template, changes, field):
    before = balance(user)
    with pytest.raises(InvalidGenerationRequest) as caught:
        ask(user, template, **changes)
    assert field in caught.value.problems
    assert Generation.objects.count() == 0
    assert balance(user) == before


def test_the_same_request_key_creates_one_generation(user, template, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = ask(user, template, request_key="k-1", count=2)
        again = ask(user, template, request_key="k-1", count=2)
    assert [g.pk for g in first] == [g.pk for g in again]
    assert Generation.objects.count() == 2
    assert first[1].parent_id == first[0].pk


def test_running_the_job_twice_stores_and_charges_once(user, template):
    [generation] = ask(user, template, formats=["1:1", "9:16"])  # on-commit not run: nothing enqueued
    before, reserved = balance(user)
    assert reserved == 2
    assert generation_services.run_generation(generation_id=generation.pk) == "completed"
    assert generation_services.run_generation(generation_id=generation.pk) == "skipped"
    assert Asset.objects.filter(generation=generation, kind=AssetKind.RESULT).count() == 2
    assert balance(user) == (before - 2, 0)
    assert len(stored_names()) == 4  # two files, two thumbnails


class BrokenStorage(FileSystemStorage):
    def _save(self, name, content):
        raise OSError("disk full")


def test_storage_failing_on_write_releases_the_hold_and_keeps_no_file(user, template, settings):
    [generation] = ask(user, template, formats=["1:1"])
    before, _ = balance(user)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "tests.generations.test_generation_job.BrokenStorage"},
    }
    assert generation_services.run_generation(generation_id=generation.pk) == "failed"
    generation.refresh_from_db()
    assert generation.status == GenerationStatus.FAILED
    assert "no credits were taken" in generation.error_message.lower()
    assert balance(user) == (before, 0)
    assert CreditHold.objects.get(pk=generation.hold_id).status == HoldStatus.RELEASED
    assert not Asset.objects.filter(generation=generation).exists()


def test_a_failure_after_some_formats_removes_the_files_already_written(user, template, monkeypatch):
    [generation] = ask(user, template, formats=["1:1", "4:5", "9:16"])
    before, _ = balance(user)
    real = generation_render.encode_image
    calls = {"n": 0}

    def encode_then_break(image, fmt, quality=90):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("encoder crashed")
        return real(image, fmt, quality)

    monkeypatch.setattr(generation_render, "encode_image", encode_then_break)
    assert generation_services.run_generation(generation_id=generation.pk) == "failed"
    assert stored_names() == set()
    assert balance(user) == (before, 0)
    assert not Asset.objects.filter(generation=generation).exists()


def test_sweep_requeues_a_job_whose_worker_died_then_fails_it_after_the_last_attempt(
    user, template, settings, django_capture_on_commit_callbacks
):
    settings.GENERATION_MAX_ATTEMPTS = 2
    [generation] = ask(user, template, formats=["1:1"])
    before, _ = balance(user)
    # A worker claimed it and died: processing, lease expired.
    assert jobs.claim(Generation, generation.pk)
    later = timezone.now() + timedelta(seconds=settings.GENERATION_TIME_LIMIT_SECONDS + 1)
    result = generation_services.sweep_stuck_generations(now=later)
    assert result == {"requeued": 1, "failed": 0, "resent": 0}
    generation.refresh_from_db()
    assert generation.status == GenerationStatus.QUEUED
    # Claimed again, died again: that was the last attempt.
    assert jobs.claim(Generation, generation.pk)
    result = generation_services.sweep_stuck_generations(
        now=later + timedelta(seconds=settings.GENERATION_TIME_LIMIT_SECONDS + 1)
    )
    assert result == {"requeued": 0, "failed": 1, "resent": 0}
    generation.refresh_from_db()
    assert generation.status == GenerationStatus.FAILED
    assert balance(user) == (before, 0)
    # The dead worker's message delivered late finds nothing to do and charges nothing.
    assert generation_services.run_generation(generation_id=generation.pk) == "skipped"
    assert balance(user) == (before, 0)


def test_sweep_after_the_job_completed_elsewhere_changes_nothing(user, template):
    [generation] = ask(user, template, formats=["1:1"])
    generation_services.run_generation(generation_id=generation.pk)
    before = balance(user)
    result = generation_services.sweep_stuck_generations(now=timezone.now() + timedelta(days=1))
    assert result["failed"] == 0
    generation.refresh_from_db()
    assert generation.status == GenerationStatus.COMPLETED
    assert balance(user) == before


def test_a_palette_variation_is_linked_to_its_parent_and_priced_as_a_variation(
    user, template, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        [parent] = ask(user, template, formats=["1:1"])
    before, _ = balance(user)
    with django_capture_on_commit_callbacks(execute=True):
        child = generation_services.request_variation(user=user, generation_id=parent.pk, kind="palette")
    child.refresh_from_db()
    assert child.parent_id == parent.pk
    assert child.variation_kind == "palette"
    assert child.status == GenerationStatus.COMPLETED
    assert child.parameters["palette_variant"] == 1
    assert CreditHold.objects.get(pk=child.hold_id).operation == "variation"
    assert balance(user) == (before - 1, 0)


def test_a_seed_variation_needs_an_ai_background(user, template, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        [parent] = ask(user, template, formats=["1:1"])
    with pytest.raises(InvalidGenerationRequest) as caught:
        generation_services.request_variation(user=user, generation_id=parent.pk, kind="seed")
    assert "palette" in caught.value.problems["kind"]


def test_free_plan_files_expire_after_the_retention_period(
    user, template, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        [generation] = ask(user, template, formats=["1:1"])
    asset = generation.assets.get(kind=AssetKind.RESULT)
    assert asset.expires_at is not None
    names = {asset.file.name, asset.thumbnail.name}
    assert retention.expire_assets(now=timezone.now()) == 0
    with django_capture_on_commit_callbacks(execute=True):
        expired = retention.expire_assets(now=asset.expires_at + timedelta(seconds=1))
    assert expired == 1
    asset.refresh_from_db()
    assert asset.status == AssetStatus.EXPIRED
    assert not any(default_storage.exists(name) for name in names)
