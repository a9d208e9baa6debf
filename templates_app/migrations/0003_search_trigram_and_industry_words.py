"""Search: pg_trgm for near-misses ("piza" finds "pizza"), and each template's industry words in its search text.

The extension is created on PostgreSQL only (Django's TrigramExtension does nothing elsewhere).
The search text is rebuilt for every template from the same pieces the service uses, so
"bread" and "coffee" find the restaurant-and-food templates at once; reversing keeps the longer
text (harmless: it only adds words).
"""

from django.contrib.postgres.operations import TrigramExtension
from django.contrib.postgres.search import SearchVector
from django.db import migrations

from templates_app.search_terms import industry_words


def rebuild_search_text(apps, schema_editor):
    AdTemplate = apps.get_model("templates_app", "AdTemplate")
    for template in AdTemplate.objects.all().iterator():
        parts = [
            template.name,
            template.slug.replace("-", " "),
            template.description,
            " ".join(template.tags or []),
            template.get_industry_display(),
            template.get_style_display(),
            template.get_campaign_type_display(),
            industry_words(template.industry),
        ]
        AdTemplate.objects.filter(pk=template.pk).update(search_text="\n".join(part for part in parts if part))
    if schema_editor.connection.vendor == "postgresql":
        AdTemplate.objects.update(
            search_vector=SearchVector("name", weight="A", config="english")
            + SearchVector("search_text", weight="B", config="english")
        )


class Migration(migrations.Migration):
    dependencies = [
        ("templates_app", "0002_brand_fonts"),
    ]

    operations = [
        TrigramExtension(),
        migrations.RunPython(rebuild_search_text, migrations.RunPython.noop),
    ]
