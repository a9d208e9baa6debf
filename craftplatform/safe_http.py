"""Fetching a URL a user gave us, safely: the one way the platform calls user-chosen servers
(WordPress sites, outgoing webhooks, website analysis).

Server-side request forgery is refused by checking where a request really goes, not what its URL
looks like: the host name is resolved once, every address it resolves to must be a public unicast
address (no loopback, private, link-local such as the 169.254.169.254 metadata service, CGNAT
100.64/10, multicast, reserved, unspecified, IPv4-mapped or NAT64 forms of those, nor IPv6
loopback and unique-local), and the connection is made to that checked address (the URL is
rewritten to the IP; Host and TLS SNI keep the name, so certificates are still verified against
it). A DNS answer cannot change between the check and the connection. Numeric hosts in decimal,
octal or hex forms (`2130706433`, `0x7f.1`) are refused outright. Only http and https, no
credentials in the URL; redirects are followed by hand, at most `max_redirects`, each one checked
the same way (a redirect beyond that is returned to the caller as it is). Answers are read up to `max_bytes` and the whole exchange is bounded by `timeout`.

Tests talk to local fake servers on 127.0.0.1: `SAFE_HTTP_ALLOW_LOOPBACK_FOR_TESTS` (off by
default; production refuses to start with it on) lets loopback addresses through, and nothing else.
"""

from __future__ import annotations

import ipaddress
import json as jsonlib
import re
import socket
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
from django.conf import settings

from craftplatform.errors import DomainError

NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}$", re.I)
NAT64 = ipaddress.ip_network("64:ff9b::/96")
DEFAULT_MAX_BYTES = 2 * 1024 * 1024
USER_AGENT = "CraftAds/1.0 (+https://github.com/craftads)"


class UnsafeURL(DomainError):
    default_message = "This address cannot be used."


class FetchError(DomainError):
    default_message = "The server could not be reached."


@dataclass
class SafeResponse:
    status_code: int
    url: str
    headers: dict[str, str]
    content: bytes
    elapsed_ms: int
    history: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return jsonlib.loads(self.content)


def _allow_loopback() -> bool:
    return bool(getattr(settings, "SAFE_HTTP_ALLOW_LOOPBACK_FOR_TESTS", False))


def address_refusal(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why `ip` must not be connected to, or None for a public unicast address."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return address_refusal(ip.ipv4_mapped) and "an IPv4-mapped private address"
        if ip in NAT64:
            return address_refusal(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)) and "a NAT64 private address"
        if ip.sixtofour is not None and address_refusal(ip.sixtofour):
            return "a 6to4 private address"
    if ip.is_loopback:
        return None if _allow_loopback() else "a loopback address"
    if ip.is_link_local:
        return "a link-local address (such as the cloud metadata service)"
    if ip.is_multicast or ip.is_unspecified or ip.is_reserved:
        return "a reserved address"
    if isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.ip_network("100.64.0.0/10"):
        return "a carrier-grade NAT address"
    if ip.is_private or not ip.is_global:
        return "a private address"
    return None


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    ip: str
    url: str


def check_url(url: str) -> Target:
    """Parse, resolve and check `url`; raise UnsafeURL saying why it is refused."""
    try:
        parts = urlsplit(str(url).strip())
        port = parts.port
    except ValueError:
        raise UnsafeURL("This is not a valid web address.") from None
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"}:
        raise UnsafeURL("Only http:// and https:// addresses can be used.")
    if parts.username or parts.password:
        raise UnsafeURL("Put credentials in their own fields, not in the address.")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise UnsafeURL("The address has no host name.")
    if NUMERIC_HOST.match(host):
        try:
            ipaddress.IPv4Address(host)  # dotted decimal without leading zeros only
        except ValueError:
            raise UnsafeURL("Write the address as a host name or a dotted IP address.") from None
    port = port or (443 if scheme == "https" else 80)
    try:
        literal = ipaddress.ip_address(host)
        addresses = [literal]
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError):
            raise UnsafeURL(f"The host name “{host}” could not be resolved.") from None
        addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
    if not addresses:
        raise UnsafeURL(f"The host name “{host}” could not be resolved.")
    for ip in addresses:
        refusal = address_refusal(ip)
        if refusal:
            raise UnsafeURL(f"“{host}” points to {refusal}, which cannot be used.")
    return Target(scheme=scheme, host=host, port=port, ip=str(addresses[0]), url=urlunsplit(parts))


def _pinned_url(target: Target) -> str:
    parts = urlsplit(target.url)
    ip = ipaddress.ip_address(target.ip)
    netloc = f"[{ip}]" if ip.version == 6 else str(ip)
    default = 443 if target.scheme == "https" else 80
    if target.port != default:
        netloc += f":{target.port}"
    return urlunsplit((target.scheme, netloc, parts.path or "/", parts.query, ""))


def request(
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    content: bytes | None = None,
    json: Any = None,
    auth: tuple[str, str] | None = None,
    files: Any = None,
    timeout: float | None = None,
    max_bytes: int | None = None,
    max_redirects: int = 3,
) -> SafeResponse:
    """One request to a user-given URL (and its checked redirects); FetchError when it cannot be made."""
    timeout = timeout or getattr(settings, "SAFE_HTTP_TIMEOUT_SECONDS", 10.0)
    max_bytes = max_bytes or getattr(settings, "SAFE_HTTP_MAX_BYTES", DEFAULT_MAX_BYTES)
    deadline = time.monotonic() + timeout
    started = time.monotonic()
    history: list[str] = []
    if json is not None:
        content = jsonlib.dumps(json).encode()
        headers = {"Content-Type": "application/json", **(headers or {})}
    current = url
    with httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False, trust_env=False) as client:
        for _ in range(max_redirects + 1):
            target = check_url(current)
            request_headers = {"User-Agent": USER_AGENT, **(headers or {})}
            request_headers["Host"] = target.host if target.port in (80, 443) else f"{target.host}:{target.port}"
            extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise FetchError("The server took too long to answer.")
            try:
                built = client.build_request(
                    method,
                    _pinned_url(target),
                    headers=request_headers,
                    content=content,
                    files=files,
                    extensions=extensions,
                    timeout=httpx.Timeout(remaining),
                )
                response = client.send(built, stream=True, auth=auth)
            except httpx.TimeoutException:
                raise FetchError("The server took too long to answer.") from None
            except httpx.HTTPError as exc:
                raise FetchError(f"The server could not be reached ({type(exc).__name__}).") from None
            try:
                if response.is_redirect and "location" in response.headers and len(history) < max_redirects:
                    history.append(current)
                    current = urljoin(current, response.headers["location"])
                    if response.status_code in (301, 302, 303) and method.upper() != "HEAD":
                        method, content, files = "GET", None, None
                        headers = {k: v for k, v in (headers or {}).items() if k.lower() != "content-type"}
                    if urlsplit(current).hostname != target.host:
                        auth = None  # never send credentials to another host
                    continue
                body = bytearray()
                try:
                    for chunk in response.iter_bytes():
                        body.extend(chunk)
                        if len(body) > max_bytes:
                            raise FetchError("The server's answer was too large.")
                        if time.monotonic() > deadline:
                            raise FetchError("The server took too long to answer.")
                except httpx.TimeoutException:
                    raise FetchError("The server took too long to answer.") from None
                except httpx.HTTPError as exc:
                    raise FetchError(f"The answer could not be read ({type(exc).__name__}).") from None
                return SafeResponse(
                    status_code=response.status_code,
                    url=current,
                    headers={k.lower(): v for k, v in response.headers.items()},
                    content=bytes(body),
                    elapsed_ms=int((time.monotonic() - started) * 1000),
                    history=history,
                )
            finally:
                response.close()
    raise FetchError("The server redirected too many times.")  # pragma: no cover (the loop returns first)
