"""Admin helpers shared by the apps."""

from functools import wraps

from django.contrib import admin
from django.core.exceptions import PermissionDenied


class ReadOnlyAdmin(admin.ModelAdmin):
    """History (ledger, audit trail) is read in the admin, never edited: changes go through the services."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def permission_view(model_admin: admin.ModelAdmin, view, permission: str | tuple[str, ...]):
    """A custom admin page (get_urls) that answers 403 to staff without `permission` (any of several).

    Every custom admin view goes through this, so none relies on being staff alone: the test in
    tests/security/test_admin_permissions.py walks every admin URL as staff without permissions.
    """

    @wraps(view)
    def checked(request, *args, **kwargs):
        wanted = (permission,) if isinstance(permission, str) else permission
        if not any(request.user.has_perm(name) for name in wanted):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return model_admin.admin_site.admin_view(checked)
