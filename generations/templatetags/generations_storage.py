"""{% storage_usage %}: the signed-in user's storage, "1.2 GB of 5 GB", in the library pages."""

from django import template

from credits.services import storage

register = template.Library()


@register.inclusion_tag("generations/_storage_usage.html", takes_context=True)
def storage_usage(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"usage": None}
    return {"usage": storage.usage(user=user)}
