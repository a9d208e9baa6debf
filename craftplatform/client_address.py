"""The client's address, found in one place for everything that uses it.

Rate limits, the audit trail, activity and event ingest all ask `client_address(request)`.
Behind `TRUSTED_PROXY_COUNT` reverse proxies, each proxy appends the address it received the
request from to `X-Forwarded-For`, so the client is the entry that many places from the right;
entries further left were written by the client and can be forged. With no trusted proxy the
header is ignored and `REMOTE_ADDR` is the client.

Parsing is lenient (ports and brackets are stripped, blanks ignored) and answers None rather than
raising when no valid address is found: a malformed header must never turn a sign-in into a 500.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def parse_address(raw: str | None) -> str | None:
    """A normalised IP address from `raw` ("203.0.113.5", "203.0.113.5:4711", "[2001:db8::1]:443"), or None."""
    if not raw:
        return None
    value = raw.strip().strip('"')
    if value.startswith("["):  # [IPv6]:port
        value = value[1:].split("]", 1)[0]
    elif value.count(":") == 1:  # IPv4:port (a bare IPv6 address has several colons)
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return str(address)


def client_address(request: HttpRequest | None) -> str | None:
    """The address of the client that sent `request`, as far as the trusted proxies vouch for it."""
    if request is None:
        return None
    trusted = max(0, int(getattr(settings, "TRUSTED_PROXY_COUNT", 0)))
    if trusted:
        entries = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(entries) >= trusted:
            return parse_address(entries[-trusted])
        # Fewer entries than proxies: the request did not come through all of them (a direct hit
        # on an inner proxy or the web process); the nearest address we can vouch for is the peer.
    return parse_address(request.META.get("REMOTE_ADDR"))


def client_key(request: HttpRequest | None) -> str:
    """An identity for per-client limits: the client's address, or "unknown" when none could be read.

    Requests whose address cannot be read share one bucket rather than escaping every limit.
    """
    return client_address(request) or "unknown"
