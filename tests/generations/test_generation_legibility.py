"""Issue 12, items 1 and 2 through a real generation: the free plan's watermark lands clear of the
button, and a colour changed for legibility is recorded on the result and shown on its page."""

import io

import numpy as np
import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image, ImageChops

from credits import services as credit_services
from generations.models import AssetKind
from generations.services import generation as generation_services
from generations.services.generation import render as generation_render
from templates_app import selectors as template_selectors
from templates_app.renderer import render_ad
from templates_app.renderer.contrast import luminance, ratio
from tests.factories import UserFactory
from tests.templates_app.factories import create_template, make_spec


@pytest.fixture
def user(db):
    user = UserFactory()
    credit_services.get_or_open_account(user=user)
    return user


def _generate(user, template, django_capture_on_commit_callbacks, **changes):
    values = {"template_id": template.pk, "formats": ["1:1"], "output_format": "png", **changes}
    with django_capture_on_commit_callbacks(execute=True):
        [generation] = generation_services.request_generation(
            user=user, request=generation_services.GenerationRequest(**values)
        )
    generation.refresh_from_db()
    return generation


def _stored(asset) -> Image.Image:
    with default_storage.open(asset.file.name) as handle:
        return Image.open(io.BytesIO(handle.read())).convert("RGB")


def test_the_watermark_moves_off_a_button_in_the_bottom_right_corner(user, django_capture_on_commit_callbacks):
    spec = make_spec()
    button = next(layer for layer in spec["formats"]["1:1"]["layers"] if layer["type"] == "button")
    button["box"] = [560, 900, 480, 120]  # the corner the watermark used to take
    template = create_template(spec=spec)
    generation = _generate(user, template, django_capture_on_commit_callbacks)
    assert generation.watermarked
    marked = _stored(generation.assets.get(kind=AssetKind.RESULT))
    stored_spec = template_selectors.get_spec_for_generation(template_id=template.pk, version=template.spec_version)
    inputs = generation_render.render_inputs(generation, stored_spec, None, generation.attempts)
    plain = render_ad(stored_spec, "1:1", inputs)
    mark = ImageChops.difference(marked, plain.image.convert("RGB")).getbbox()
    assert mark is not None, "the free plan's output carries the watermark"
    for box in plain.layer_boxes:
        overlap = mark[0] < box.box[2] and box.box[0] < mark[2] and mark[1] < box.box[3] and box.box[1] < mark[3]
        assert not overlap, f"the watermark {mark} covers the {box.kind} {box.box}"


def test_a_button_text_changed_for_legibility_is_recorded_and_shown(user, client, django_capture_on_commit_callbacks):
    template = create_template(spec=make_spec())
    # White button text on a white button: 1:1.
    generation = _generate(user, template, django_capture_on_commit_callbacks, colors={"accent": "#FFFFFF"})
    asset = generation.assets.get(kind=AssetKind.RESULT)
    assert "Button text darkened for legibility" in asset.metadata["legibility"]
    image = np.asarray(_stored(asset))
    button = next(layer for layer in make_spec()["formats"]["1:1"]["layers"] if layer["type"] == "button")
    x, y, w, h = button["box"]
    darkest = image[y + 5 : y + h - 5, x + 60 : x + w - 60].reshape(-1, 3).min(axis=0)
    # Bold 24 px and up is large text: 3:1 against the white button, measured on the stored file.
    assert ratio(luminance(darkest), 1.0) >= 3.0

    client.force_login(user)
    page = client.get(reverse("generations:detail", args=[generation.pk]))
    assert "Button text darkened for legibility" in page.content.decode()
