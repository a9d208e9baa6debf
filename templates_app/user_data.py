"""The user's favourite templates in "download my data"."""

from craftplatform import user_data
from templates_app.models import FavoriteTemplate


def export_favourites(user) -> list[dict]:
    return [
        {
            "template": favourite.template.slug,
            "name": favourite.template.name,
            "since": favourite.created_at.isoformat(),
        }
        for favourite in FavoriteTemplate.objects.filter(user=user).select_related("template").order_by("created_at")
    ]


user_data.register("favourite_templates", export=export_favourites)
