"""AdTemplate.needs_product_photo (issue 12, item 4): a stored, indexed flag the gallery filters on,
derived from the spec by the template service; existing (and shipped) templates are backfilled here
from their stored specs. Reversible: going back drops the column, so the backwards data step has
nothing to undo."""

from django.db import migrations, models


def _needs_product_photo(spec) -> bool:
    # The rule of templates_app.spec.slots at the time of writing, copied so this migration keeps
    # meaning the same whatever that module becomes.
    slots = (spec or {}).get("slots") or {}
    return any(
        isinstance(slot, dict) and slot.get("type") == "image" and slot.get("role") == "product"
        for slot in slots.values()
    )


def backfill(apps, schema_editor):
    AdTemplate = apps.get_model("templates_app", "AdTemplate")
    wanted = [pk for pk, spec in AdTemplate.objects.values_list("pk", "spec").iterator() if _needs_product_photo(spec)]
    AdTemplate.objects.filter(pk__in=wanted).update(needs_product_photo=True)


class Migration(migrations.Migration):
    dependencies = [
        ("templates_app", "0004_template_ctr_lower_bound"),
    ]

    operations = [
        migrations.AddField(
            model_name="adtemplate",
            name="needs_product_photo",
            field=models.BooleanField(
                default=False, editable=False, help_text="The spec has an image slot for the user's product photo."
            ),
        ),
        migrations.AddIndex(
            model_name="adtemplate",
            index=models.Index(fields=["is_active", "needs_product_photo"], name="templates_active_photo"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
