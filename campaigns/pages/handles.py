"""Public addresses: /p/<handle>/<page-slug>/. Handles and slugs are lowercase slugs; words the
platform uses for itself, or that would mislead visitors, are refused."""

import re

from campaigns.pages.errors import PageError

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")
RESERVED = frozenset(
    [
        "admin",
        "api",
        "app",
        "assets",
        "static",
        "media",
        "p",
        "e",
        "www",
        "mail",
        "email",
        "help",
        "support",
        "billing",
        "login",
        "logout",
        "signin",
        "signup",
        "account",
        "accounts",
        "settings",
        "security",
        "official",
        "craftads",
        "staff",
        "root",
        "system",
        "null",
        "undefined",
        "new",
        "edit",
        "delete",
        "preview",
        "publish",
        "pages",
        "page",
        "leads",
        "webhooks",
        "wordpress",
        "meta",
        "facebook",
        "instagram",
        "google",
        "about",
        "terms",
        "privacy",
    ]
)


def validate_slug(value: str, *, what: str = "address") -> str:
    value = (value or "").strip().lower()
    if not SLUG.match(value) or "--" in value:
        raise PageError(
            f"The {what} may use lowercase letters, digits and single hyphens (1 to 60 characters, "
            "not starting or ending with a hyphen)."
        )
    if value in RESERVED:
        raise PageError(f"“{value}” is reserved: choose another {what}.")
    return value


def validate_handle(value: str) -> str:
    value = validate_slug(value, what="handle")
    if len(value) < 3 or len(value) > 40:
        raise PageError("The handle must be 3 to 40 characters long.")
    return value
