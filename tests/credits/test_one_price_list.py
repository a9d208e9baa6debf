"""One price list: the credits page, the image page and the API say the same price for the same action."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from credits.models import PricingRule
from generations.services import operations as operation_services
from tests.generations.factories import png_bytes

pytestmark = pytest.mark.django_db


def credits_page_prices(client) -> dict[str, int]:
    body = client.get(reverse("credits:index")).content.decode()
    rows = re.findall(r"<tr><td>([^<]+)<div[^>]*>[^<]*</div></td><td class=\"text-end\">(\d+)</td>", body)
    return {label: int(cost) for label, cost in rows}


def image_page_prices(client, asset) -> dict[str, int]:
    body = client.get(reverse("generations:asset", args=[asset.pk])).content.decode()
    pairs = re.findall(r"\s*([A-Z][\w ]+?) <span class=\"badge[^\"]*\">(\d+) credits?</span>", body)
    return {label.strip(): int(cost) for label, cost in pairs}


def test_upscale_prices_agree_on_the_credits_page_the_image_page_and_the_api(auth_client, user):
    PricingRule.objects.filter(operation="upscale").update(base_cost=3)
    asset = operation_services.upload_image(
        user=user, upload=SimpleUploadedFile("p.png", png_bytes((200, 150)), content_type="image/png")
    )
    page = credits_page_prices(auth_client)
    image = image_page_prices(auth_client, asset)
    api = APIClient()
    api.force_authenticate(user)
    listed = {row["label"]: row["cost"] for row in api.get(reverse("api-credit-prices")).json()}

    assert page["Upscale 2x"] == image["Upscale 2x"] == listed["Upscale 2x"] == 3
    assert page["Upscale 4x"] == image["Upscale 4x"] == listed["Upscale 4x"] == 6
    for label in ("Remove background", "Vectorize"):
        assert page[label] == image[label] == listed[label]
    quote = api.get(reverse("api-credit-quote"), {"operation": "upscale", "quantity": 2}).json()
    assert quote["total"] == listed["Upscale 4x"]
