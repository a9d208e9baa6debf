"""The AI providers a new installation starts with, and example prices per call.

The built-in offline renderer is on; the OpenAI-compatible and Automatic1111 providers are off
until staff configure their environment variables and enable them in the admin. Prices are what
one call costs the platform (not what users pay in credits). The OpenAI figures are examples from
OpenAI's price list when this was written; staff should check them against their own account and
add a dated row when they change. Self-hosted servers cost nothing per call here; staff may enter
their own GPU cost. Reversing removes exactly these rows.
"""

import datetime
from decimal import Decimal

from django.db import migrations

PROVIDERS = [
    # key, enabled, notes
    ("builtin", True, "Draws abstract backgrounds offline from the brand colours. Always available."),
    (
        "openai",
        False,
        "OpenAI or any server speaking its API (OPENAI_API_KEY, OPENAI_BASE_URL). Images and copy variants.",
    ),
    (
        "automatic1111",
        False,
        "A Stable Diffusion web UI started with --api (AUTOMATIC1111_URL). Images, upscaling, background removal.",
    ),
]

EFFECTIVE = datetime.date(2025, 1, 1)
PRICES = [
    # provider, operation, model, cost per call (USD)
    ("builtin", "image", "", Decimal("0.0000")),
    # gpt-image-1, medium quality, 1024x1024 (low 0.011, high 0.167; 1536x1024 medium 0.063): check.
    ("openai", "image", "gpt-image-1", Decimal("0.0420")),
    # dall-e-3, standard quality, 1024x1024 (1792x1024: 0.080): check.
    ("openai", "image", "dall-e-3", Decimal("0.0400")),
    # gpt-4o-mini, about 2,000 tokens a call (USD 0.15 / 0.60 per million tokens in / out): check.
    ("openai", "copy", "gpt-4o-mini", Decimal("0.0010")),
    ("automatic1111", "image", "", Decimal("0.0000")),
    ("automatic1111", "upscale", "", Decimal("0.0000")),
    ("automatic1111", "remove_background", "", Decimal("0.0000")),
]


def seed_providers(apps, schema_editor):
    AIProvider = apps.get_model("generations", "AIProvider")
    ProviderPrice = apps.get_model("generations", "ProviderPrice")
    for key, enabled, notes in PROVIDERS:
        AIProvider.objects.get_or_create(key=key, defaults={"enabled": enabled, "notes": notes})
    for provider, operation, model, cost in PRICES:
        ProviderPrice.objects.get_or_create(
            provider=provider,
            operation=operation,
            model=model,
            effective_date=EFFECTIVE,
            defaults={"cost_per_call": cost, "currency": "USD", "is_active": True},
        )


def remove_providers(apps, schema_editor):
    AIProvider = apps.get_model("generations", "AIProvider")
    ProviderPrice = apps.get_model("generations", "ProviderPrice")
    for provider, operation, model, _ in PRICES:
        ProviderPrice.objects.filter(
            provider=provider, operation=operation, model=model, effective_date=EFFECTIVE
        ).delete()
    AIProvider.objects.filter(key__in=[key for key, _, _ in PROVIDERS]).delete()


class Migration(migrations.Migration):
    dependencies = [("generations", "0001_initial")]

    operations = [migrations.RunPython(seed_providers, remove_providers)]
