"""A user's favourite templates."""

from templates_app.models import AdTemplate, FavoriteTemplate
from templates_app.services.templates import TemplateNotFound


def _check_visible(*, user, template_id) -> None:
    visible = AdTemplate.objects.filter(pk=template_id)
    if not user.is_staff:
        visible = visible.filter(is_active=True)
    if not visible.exists():
        raise TemplateNotFound()


def set_favorite(*, user, template_id, favorite: bool) -> bool:
    """Make the template a favourite of the user or not. Idempotent: returns the state it is now in."""
    if favorite:
        _check_visible(user=user, template_id=template_id)
        # get_or_create relies on the unique (user, template) constraint when two requests race.
        FavoriteTemplate.objects.get_or_create(user=user, template_id=template_id)
    else:
        FavoriteTemplate.objects.filter(user=user, template_id=template_id).delete()
    return favorite


def toggle_favorite(*, user, template_id) -> bool:
    """Flip the favourite; returns True when the template is now a favourite."""
    deleted, _ = FavoriteTemplate.objects.filter(user=user, template_id=template_id).delete()
    if deleted:
        return False
    return set_favorite(user=user, template_id=template_id, favorite=True)
