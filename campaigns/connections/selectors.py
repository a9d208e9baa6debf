"""Reads about a user's Meta connection."""

from __future__ import annotations

from campaigns.connections.models import MetaConnection
from campaigns.meta import client as meta


def connection_for(user) -> MetaConnection | None:
    return MetaConnection.objects.filter(user=user).prefetch_related("ad_accounts", "pages").first()


def meta_configured() -> bool:
    return meta.is_configured()
