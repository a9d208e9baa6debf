"""The Graph API client: the only module of the project that imports Meta's SDK (facebook-business).

Every call goes through `FacebookAdsApi.call`, pointed at `settings.META_GRAPH_URL` (Graph itself,
or a local fake in tests and demos), and every `FacebookRequestError` becomes a `MetaError`
(`campaigns.meta.errors`). Functions take the access token as an argument: nothing here reads the
database, and the token is never logged.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from urllib.parse import urlencode

import requests
from django.conf import settings
from facebook_business.api import FacebookAdsApi, FacebookResponse, FacebookSession
from facebook_business.exceptions import FacebookRequestError

from campaigns.meta.errors import MetaError, MetaNotConfigured, MetaTransientError, from_graph_error, usage_from_headers

logger = logging.getLogger(__name__)

SCOPES = ["ads_management", "ads_read", "business_management", "pages_show_list", "pages_read_engagement"]
AD_ACCOUNT_FIELDS = "id,account_id,name,currency,timezone_name,account_status,spend_cap,amount_spent"
PAGE_FIELDS = "id,name,instagram_business_account"
MAX_PAGES = 50  # cursor pages followed at most (2,500 items at Graph's default page size)


def is_configured() -> bool:
    return bool(settings.META_APP_ID and settings.META_APP_SECRET)


def _session(access_token: str | None) -> FacebookSession:
    if not is_configured():
        raise MetaNotConfigured("Publishing to Meta needs META_APP_ID and META_APP_SECRET.")
    session = FacebookSession(
        app_id=settings.META_APP_ID,
        # appsecret_proof needs a token; the OAuth exchange passes the secret as a parameter instead.
        app_secret=settings.META_APP_SECRET if access_token else None,
        access_token=access_token,
        timeout=settings.META_TIMEOUT_SECONDS,
    )
    session.GRAPH = settings.META_GRAPH_URL
    return session


def _api(access_token: str | None) -> FacebookAdsApi:
    return FacebookAdsApi(_session(access_token), api_version=settings.META_API_VERSION)


def _call(access_token: str | None, method: str, path: tuple, params: dict | None = None) -> dict:
    return call_with_usage(access_token, method, path, params)[0]


def _raise_graph_error(exc: FacebookRequestError, method: str, path: tuple) -> None:
    error = from_graph_error(
        body=exc.body(),
        http_status=exc.http_status(),
        headers=exc.http_headers(),
        min_wait=settings.META_RATE_LIMIT_MIN_WAIT_SECONDS,
    )
    logger.warning(
        "Graph API error",
        extra={"path": "/".join(map(str, path)), "method": method, "code": error.code, "subcode": error.subcode},
    )
    raise error from None


def _usage(headers, path: tuple) -> dict:
    usage = usage_from_headers(headers)
    if usage:
        logger.info("Graph API usage", extra={"path": "/".join(map(str, path)), "usage": usage})
    return usage


def call_with_usage(
    access_token: str | None, method: str, path: tuple, params: dict | None = None
) -> tuple[dict, dict]:
    """One Graph call: its body, and the usage headers Meta sent with it (parsed; empty if none)."""
    api = _api(access_token)
    try:
        response = api.call(method, path, params=params or {})
    except FacebookRequestError as exc:
        _raise_graph_error(exc, method, path)
    except requests.RequestException as exc:
        raise MetaTransientError(f"Meta could not be reached ({type(exc).__name__}).") from None
    usage = _usage(response.headers(), path)
    body = response.json()
    return (body if isinstance(body, dict) else {"data": body}), usage


def _failed(body, http_status: int) -> bool:
    """The SDK's own test of an answer (`FacebookResponse.is_success`), on a body parsed once."""
    if isinstance(body, dict):
        if "error" in body:
            return True
        if body:
            return not body["success"] if "success" in body else "Service Unavailable" in body
    elif body:
        return "Service Unavailable" in body
    return http_status not in (200, 304)


def read_with_usage(access_token: str, path: tuple, params: dict) -> tuple[dict, dict]:
    """A GET of a large answer (insight pages) with its body parsed once.

    `FacebookAdsApi.call` parses every body to check it, and the caller must parse it again; for
    pages of hundreds of rows that second parse is a large share of the sync's time. This sends the
    same request through the SDK's own authenticated session (token and appsecret_proof, the SDK's
    headers and timeout), parses the body once, applies the SDK's success test to it, and raises an
    error answer through the SDK's `FacebookResponse.error()` like `call_with_usage`. Only flat
    parameters (strings and numbers) are sent as they are."""
    session = _session(access_token)
    url = "/".join((session.GRAPH, settings.META_API_VERSION, "/".join(map(str, path))))
    try:
        response = session.requests.request(
            "GET", url, params=params, headers=dict(FacebookAdsApi.HTTP_DEFAULT_HEADERS), timeout=session.timeout
        )
    except requests.RequestException as exc:
        raise MetaTransientError(f"Meta could not be reached ({type(exc).__name__}).") from None
    text = response.text
    try:
        body = json.loads(text)
    except ValueError:
        body = text
    if _failed(body, response.status_code):
        answer = FacebookResponse(
            body=text,
            headers=response.headers,
            http_status=response.status_code,
            call={"method": "GET", "path": url, "params": params, "headers": {}, "files": {}},
        )
        try:
            raise answer.error()
        except FacebookRequestError as exc:
            _raise_graph_error(exc, "GET", path)
    usage = _usage(response.headers, path)
    return (body if isinstance(body, dict) else {"data": body}), usage


def login_url(*, state: str, redirect_uri: str) -> str:
    if not is_configured():
        raise MetaNotConfigured("Publishing to Meta needs META_APP_ID and META_APP_SECRET.")
    query = urlencode(
        {
            "client_id": settings.META_APP_ID,
            "redirect_uri": redirect_uri,
            "state": state,
            "scope": ",".join(SCOPES),
            "response_type": "code",
        }
    )
    return f"{settings.META_OAUTH_DIALOG_URL}?{query}"


def exchange_code(*, code: str, redirect_uri: str) -> tuple[str, int]:
    """The code from the redirect, for a long-lived user token: (token, seconds until it expires)."""
    short = _call(
        None,
        "GET",
        ("oauth", "access_token"),
        {
            "client_id": settings.META_APP_ID,
            "client_secret": settings.META_APP_SECRET,
            "redirect_uri": redirect_uri,
            "code": code,
        },
    )
    long_lived = _call(
        None,
        "GET",
        ("oauth", "access_token"),
        {
            "grant_type": "fb_exchange_token",
            "client_id": settings.META_APP_ID,
            "client_secret": settings.META_APP_SECRET,
            "fb_exchange_token": short["access_token"],
        },
    )
    return long_lived["access_token"], int(long_lived.get("expires_in") or 60 * 24 * 3600)


def me(access_token: str) -> dict:
    return _call(access_token, "GET", ("me",), {"fields": "id,name"})


def granted_permissions(access_token: str) -> list[str]:
    body = _call(access_token, "GET", ("me", "permissions"))
    return sorted(p["permission"] for p in body.get("data", []) if p.get("status") == "granted")


def revoke(access_token: str) -> None:
    _call(access_token, "DELETE", ("me", "permissions"))


# -- reading ---------------------------------------------------------------------
def _paginate(access_token: str, path: tuple, params: dict) -> Iterator[dict]:
    params = dict(params)
    for _ in range(MAX_PAGES):
        body = _call(access_token, "GET", path, params)
        yield from body.get("data", [])
        paging = body.get("paging") or {}
        after = (paging.get("cursors") or {}).get("after")
        if not paging.get("next") or not after:
            return
        params["after"] = after


def ad_accounts(access_token: str) -> list[dict]:
    return list(_paginate(access_token, ("me", "adaccounts"), {"fields": AD_ACCOUNT_FIELDS, "limit": 100}))


def pages(access_token: str) -> list[dict]:
    return list(_paginate(access_token, ("me", "accounts"), {"fields": PAGE_FIELDS, "limit": 100}))


def search_interests(access_token: str, query: str) -> list[dict]:
    body = _call(access_token, "GET", ("search",), {"type": "adinterest", "q": query, "limit": 25})
    return body.get("data", [])


def delivery_estimate(access_token: str, *, account_id: str, targeting: dict, optimization_goal: str) -> dict | None:
    body = _call(
        access_token,
        "GET",
        (account_id, "delivery_estimate"),
        {"targeting_spec": targeting, "optimization_goal": optimization_goal},
    )
    data = body.get("data") or []
    return data[0] if data else None


def find_images(access_token: str, *, account_id: str, hashes: list[str]) -> dict[str, dict]:
    body = _call(access_token, "GET", (account_id, "adimages"), {"hashes": hashes, "fields": "hash,url"})
    return {image["hash"]: image for image in body.get("data", [])}


def find_by_name(access_token: str, *, account_id: str, edge: str, contains: str) -> list[dict]:
    """Objects of `edge` (campaigns, adsets, adcreatives, ads) whose name contains `contains`."""
    params = {
        "fields": "id,name,status",
        "filtering": [{"field": "name", "operator": "CONTAIN", "value": contains}],
        "limit": 50,
    }
    return list(_paginate(access_token, (account_id, edge), params))


def get(access_token: str, object_id: str, *, fields: str) -> dict:
    return _call(access_token, "GET", (object_id, ""), {"fields": fields})


# -- writing ---------------------------------------------------------------------
def upload_image(access_token: str, *, account_id: str, content: bytes, name: str) -> dict:
    body = _call(
        access_token,
        "POST",
        (account_id, "adimages"),
        {"bytes": base64.b64encode(content).decode(), "name": name},
    )
    images = body.get("images") or {}
    if not images:
        raise MetaError("Meta accepted the image but returned no hash.")
    return next(iter(images.values()))


def create(access_token: str, *, account_id: str, edge: str, params: dict) -> str:
    return str(_call(access_token, "POST", (account_id, edge), params)["id"])


def update(access_token: str, object_id: str, params: dict) -> None:
    _call(access_token, "POST", (object_id,), params)


def delete(access_token: str, object_id: str) -> None:
    _call(access_token, "DELETE", (object_id,))
