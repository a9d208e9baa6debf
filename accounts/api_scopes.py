"""Scoped API keys: read-only keys, and keys limited to some operation groups.

Every API route belongs to one group (`GROUP_BY_ROUTE`, by URL name, so views need not know);
`ApiKeyScope` (a default DRF permission) refuses with 403 and a code:

- `key_read_only`: a read-only key and a method that changes something (POSTs that only read,
  such as pricing, are in `READ_ONLY_POSTS`);
- `key_scope`: a key limited to groups that do not include the route's.

Requests signed in with a session (the browsable docs) are not limited.
"""

from __future__ import annotations

from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts.models import ApiKey, ApiKeyGroup

GENERATE, LIBRARY, BILLING, ACCOUNT = (
    ApiKeyGroup.GENERATE,
    ApiKeyGroup.LIBRARY,
    ApiKeyGroup.BILLING,
    ApiKeyGroup.ACCOUNT,
)

GROUP_BY_ROUTE: dict[str, str] = {
    # generate
    "api-generations:POST": GENERATE,
    "api-generation-price": GENERATE,
    "api-generation-status": GENERATE,
    "api-generation-variations": GENERATE,
    "api-image-operations": GENERATE,
    "api-operation": GENERATE,
    "api-generation-cancel": GENERATE,
    "api-operation-cancel": GENERATE,
    # library
    "api-generations": LIBRARY,
    "api-generation-detail": LIBRARY,
    "api-generation-rate": LIBRARY,
    "api-generation-favorite": LIBRARY,
    "api-assets": LIBRARY,
    "api-asset-detail": LIBRARY,
    "api-asset-favorite": LIBRARY,
    "api-asset-file": LIBRARY,
    "api-collections": LIBRARY,
    "api-collection-detail": LIBRARY,
    "api-collection-items": LIBRARY,
    "api-collection-item": LIBRARY,
    "api-collection-order": LIBRARY,
    "api-images": LIBRARY,
    "api-templates": LIBRARY,
    "api-template-categories": LIBRARY,
    "api-template-detail": LIBRARY,
    "api-template-favorite": LIBRARY,
    # billing
    "api-credits": BILLING,
    "api-credit-transactions": BILLING,
    "api-credit-quote": BILLING,
    "api-credit-plan": BILLING,
    "api-credit-packs": BILLING,
    "api-credit-pack-checkout": BILLING,
    "api-credit-plans": BILLING,
    "api-credit-plan-checkout": BILLING,
    "api-credit-payments": BILLING,
    # account
    "api-me": ACCOUNT,
    "api-preferences": ACCOUNT,
    "api-brand-kit": ACCOUNT,
    "api-brand-logo": ACCOUNT,
    "api-business-profile": ACCOUNT,
    "api-export": ACCOUNT,
    "api-brand-fonts": ACCOUNT,
    "api-brand-font-detail": ACCOUNT,
    "api-brand-font-preview": ACCOUNT,
}
# Routes any key may read: the contract itself.
OPEN_ROUTES = {"api-schema", "api-docs"}
# POSTs that change nothing.
READ_ONLY_POSTS = {"api-generation-price"}


def route_group(url_name: str | None, method: str) -> str | None:
    if not url_name:
        return None
    return GROUP_BY_ROUTE.get(f"{url_name}:{method}") or GROUP_BY_ROUTE.get(url_name)


class KeyScopeDenied(PermissionDenied):
    def __init__(self, detail: str, code: str) -> None:
        super().__init__(detail=detail, code=code)


class ApiKeyScope(BasePermission):
    def has_permission(self, request, view) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey):
            return True
        match = request.resolver_match
        url_name = match.url_name if match else None
        if url_name in OPEN_ROUTES:
            return True
        if key.is_read_only and request.method not in SAFE_METHODS and url_name not in READ_ONLY_POSTS:
            raise KeyScopeDenied("This API key is read-only.", code="key_read_only")
        if key.groups:
            group = route_group(url_name, request.method)
            if group not in key.groups:
                allowed = ", ".join(key.groups)
                raise KeyScopeDenied(f"This API key may only be used for: {allowed}.", code="key_scope")
        return True
