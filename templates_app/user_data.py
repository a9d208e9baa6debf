"""The user's favourite templates and uploaded brand fonts in "download my data"; the fonts'
files are removed when the account is deleted."""

from django.db.models import Sum

from craftplatform import uploads, user_data
from templates_app.models import BrandFont, FavoriteTemplate


def export_favourites(user) -> list[dict]:
    return [
        {
            "template": favourite.template.slug,
            "name": favourite.template.name,
            "since": favourite.created_at.isoformat(),
        }
        for favourite in FavoriteTemplate.objects.filter(user=user).select_related("template").order_by("created_at")
    ]


def export_brand_fonts(user) -> list[dict]:
    return [
        {
            "family": font.family,
            "weight": font.weight,
            "style": font.style,
            "file": font.file.name,
            "original_name": font.original_name,
            "size": font.size,
            "sha256": font.sha256,
            "uploaded_at": font.created_at.isoformat(),
        }
        for font in BrandFont.objects.filter(user=user).order_by("created_at")
    ]


def brand_font_files(user) -> list[str]:
    return list(BrandFont.objects.filter(user=user).exclude(file="").values_list("file", flat=True))


user_data.register("favourite_templates", export=export_favourites)
user_data.register("brand_fonts", export=export_brand_fonts, files=brand_font_files)


def brand_font_bytes(user) -> int:
    return int(BrandFont.objects.filter(user=user).aggregate(total=Sum("size"))["total"] or 0)


uploads.register_usage("brand_fonts", brand_font_bytes)  # storage quota (issue 11)
