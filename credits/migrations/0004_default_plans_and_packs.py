"""The plans and credit packs a new installation starts with; staff edit them and push them to Stripe."""

from decimal import Decimal

from django.db import migrations

PLANS = [
    {
        "slug": "free",
        "name": "Free",
        "tier": "free",
        "price": Decimal("0"),
        "credits_per_period": 0,
        "daily_allowance": 3,
        "rollover": "expire",
        "rollover_cap": None,
        "has_watermark": True,
        "display_order": 0,
        "description": "Try every feature with a few free credits a day.",
        "features": ["3 free credits every day", "All templates and formats", "CraftAds watermark on results"],
    },
    {
        "slug": "starter",
        "name": "Starter",
        "tier": "starter",
        "price": Decimal("12.00"),
        "credits_per_period": 150,
        "daily_allowance": 0,
        "rollover": "expire",
        "rollover_cap": None,
        "has_watermark": False,
        "display_order": 1,
        "description": "For a small business posting every week.",
        "features": ["150 credits a month", "No watermark", "10% off every action", "Unused credits expire monthly"],
    },
    {
        "slug": "pro",
        "name": "Pro",
        "tier": "pro",
        "price": Decimal("39.00"),
        "credits_per_period": 600,
        "daily_allowance": 0,
        "rollover": "rollover",
        "rollover_cap": 1200,
        "has_watermark": False,
        "display_order": 2,
        "is_featured": True,
        "description": "For teams running campaigns all month.",
        "features": ["600 credits a month", "No watermark", "20% off every action", "Unused credits roll over (up to 1,200)"],
    },
    {
        "slug": "business",
        "name": "Business",
        "tier": "business",
        "price": Decimal("99.00"),
        "credits_per_period": 2000,
        "daily_allowance": 0,
        "rollover": "rollover",
        "rollover_cap": 4000,
        "has_watermark": False,
        "display_order": 3,
        "description": "For agencies and brands with many products.",
        "features": ["2,000 credits a month", "No watermark", "30% off every action", "Unused credits roll over (up to 4,000)"],
    },
]

PACKS = [
    {"slug": "pack-50", "name": "Taster", "credits": 50, "bonus_credits": 0, "price": Decimal("5.00"), "display_order": 0},
    {
        "slug": "pack-200",
        "name": "Regular",
        "credits": 200,
        "bonus_credits": 20,
        "price": Decimal("18.00"),
        "display_order": 1,
        "is_featured": True,
        "badge": "Popular",
    },
    {
        "slug": "pack-500",
        "name": "Studio",
        "credits": 500,
        "bonus_credits": 75,
        "price": Decimal("40.00"),
        "display_order": 2,
        "badge": "Best value",
    },
]


def seed(apps, schema_editor):
    plan_model = apps.get_model("credits", "SubscriptionPlan")
    package_model = apps.get_model("credits", "CreditPackage")
    for plan in PLANS:
        plan_model.objects.get_or_create(slug=plan["slug"], defaults=plan)
    for pack in PACKS:
        package_model.objects.get_or_create(slug=pack["slug"], defaults=pack)


def unseed(apps, schema_editor):
    # Only rows nobody has paid through: payments and subscriptions PROTECT the rest.
    apps.get_model("credits", "CreditPackage").objects.filter(slug__in=[p["slug"] for p in PACKS]).delete()
    apps.get_model("credits", "SubscriptionPlan").objects.filter(slug__in=[p["slug"] for p in PLANS]).delete()


class Migration(migrations.Migration):
    dependencies = [("credits", "0003_billing")]

    operations = [migrations.RunPython(seed, unseed)]
