"""The ledger is append-only in the database itself, and the platform starts with a price list.

On PostgreSQL a trigger refuses UPDATE and DELETE on ledger rows, whatever code
or person tries. SQLite (the embedded mode) has no such trigger; the code has no
update or delete path either.
"""

from django.db import migrations

TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION credits_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'credit ledger entries cannot be changed or deleted (%%)', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER credits_ledger_append_only
    BEFORE UPDATE OR DELETE ON credits_credittransaction
    FOR EACH ROW EXECUTE FUNCTION credits_ledger_append_only();
"""
DROP_TRIGGER_SQL = """
DROP TRIGGER IF EXISTS credits_ledger_append_only ON credits_credittransaction;
DROP FUNCTION IF EXISTS credits_ledger_append_only();
"""

DEFAULT_PRICES = [
    # operation, base cost, daily limit, per-minute limit, description
    ("generate_format", 1, None, 60, "Render one format of an ad"),
    ("variation", 1, None, 60, "One more variation of an ad"),
    ("upscale", 2, None, 30, "Upscale an image 2x or 4x"),
    ("remove_background", 2, None, 30, "Remove an image's background"),
    ("vectorize", 3, None, 30, "Trace an image to SVG"),
    ("ai_copy", 1, 200, 20, "AI copy variants in the brand's voice"),
    ("ai_image", 4, 100, 10, "An AI background or product scene"),
]


def install_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER_SQL)


def remove_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_TRIGGER_SQL)


def add_prices(apps, schema_editor):
    PricingRule = apps.get_model("credits", "PricingRule")
    for operation, cost, daily, per_minute, description in DEFAULT_PRICES:
        PricingRule.objects.get_or_create(
            operation=operation,
            defaults={
                "base_cost": cost,
                "daily_limit": daily,
                "rate_limit_per_minute": per_minute,
                "description": description,
                "tier_multipliers": {"free": 1.0, "starter": 0.9, "pro": 0.8, "business": 0.7},
            },
        )


def remove_prices(apps, schema_editor):
    apps.get_model("credits", "PricingRule").objects.filter(operation__in=[p[0] for p in DEFAULT_PRICES]).delete()


class Migration(migrations.Migration):
    dependencies = [("credits", "0001_initial")]

    operations = [
        migrations.RunPython(install_trigger, remove_trigger),
        migrations.RunPython(add_prices, remove_prices),
    ]
