"""Page-event ingest: the public pages' beacon posts here; events are checked, then appended to a
Redis stream and answered at once. A worker drains the stream into PostgreSQL (analytics.drain).

Privacy: no cookie; the visitor is a daily-rotating salted hash of address and user agent (the
salt is random per day, kept in the cache for two days, so yesterday's hashes cannot be
recomputed once it is gone); the raw address is never stored. Do Not Track (`DNT: 1`) and Global
Privacy Control (`Sec-GPC: 1`) are honoured: such requests are answered 204 and nothing is kept.
Known bots (by user agent) are not counted.

One beacon request carries one event, or a batch of up to `MAX_BATCH` events of one page view
(the page's script queues them and sends them together: see campaigns/static/campaigns/beacon.js).
Accepting them is one Redis round trip: a Lua script counts them against the address's rate limit
(the same window counter as `craftplatform.ratelimit`) and, when within it, appends each as its own
stream entry, so the drain and its exactly-once ingest ids (the entry ids) are unchanged.

Fallback: when Redis is not configured (embedded mode) or does not answer, the event is inserted
directly into the database (one INSERT with a unique ingest id) and Redis is skipped for a few
seconds, so the endpoint keeps answering and keeps every event, only more slowly.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
import time
import uuid
from datetime import UTC, datetime

import redis
from django.conf import settings
from django.core.cache import cache

from analytics.models import PageEvent, PageEventType
from campaigns.pages.rendering import beacon_key
from craftplatform import ratelimit

logger = logging.getLogger(__name__)

STREAM = "craftads:page-events"
MAX_BODY = 8192
MAX_BATCH = 20
RATE_SCOPE = "page-events"
RATE_WINDOW = 60
# KEYS: the rate-limit counter, the stream. ARGV: limit, counter lifetime, then one JSON per event.
# All or nothing: a batch over the limit appends nothing and answers 0.
ACCEPT_SCRIPT = """
local n = #ARGV - 2
local count = redis.call('INCRBY', KEYS[1], n)
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
if count > tonumber(ARGV[1]) then return 0 end
for i = 3, #ARGV do redis.call('XADD', KEYS[2], '*', 'e', ARGV[i]) end
return n
"""
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
BOTS = re.compile(
    r"bot|crawl|spider|slurp|facebookexternalhit|facebookcatalog|headless|lighthouse|pingdom|preview|"
    r"monitor|curl|wget|python-requests|httpx|go-http-client|java/|okhttp|scrapy|phantomjs|selenium",
    re.I,
)
TEXT_FIELDS = {
    "utm_source": 200,
    "utm_medium": 200,
    "utm_campaign": 200,
    "utm_content": 200,
    "utm_term": 200,
    "f": 500,
    "r": 500,
    "c": 36,
}
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class BadEvent(ValueError):
    pass


_redis_clients: dict[str, redis.Redis] = {}
_scripts: dict[str, object] = {}
_redis_down_until = 0.0
_salt_cache: tuple[str, str] | None = None


def redis_client() -> redis.Redis | None:
    """One connection pool per process (and URL); None in the embedded mode."""
    url = settings.PAGE_EVENTS_REDIS_URL
    if not url:
        return None
    if url not in _redis_clients:
        client = redis.Redis.from_url(url, socket_connect_timeout=0.25, socket_timeout=1.0)
        # EVALSHA, falling back to EVAL once if the server lost its script cache.
        _scripts[url] = client.register_script(ACCEPT_SCRIPT)
        _redis_clients[url] = client
    return _redis_clients[url]


def reset_circuit() -> None:
    global _redis_down_until
    _redis_down_until = 0.0


def parse(body: bytes) -> list[dict]:
    """The events in a beacon body (one event, or a batch under "e"), or BadEvent."""
    if len(body) > MAX_BODY:
        raise BadEvent("too large")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BadEvent("not JSON") from None
    if not isinstance(data, dict):
        raise BadEvent("not an object")
    page = data.get("p")
    version = data.get("v")
    if not isinstance(page, str) or not UUID_RE.match(page):
        raise BadEvent("page")
    if not isinstance(version, int) or isinstance(version, bool) or not 0 < version < 1_000_000:
        raise BadEvent("version")
    if not isinstance(data.get("k"), str) or not hmac.compare_digest(data["k"], beacon_key(page, version)):
        raise BadEvent("key")
    shared = {"p": page, "v": version}
    for name, limit in TEXT_FIELDS.items():
        if name == "c":
            continue
        value = data.get(name, "")
        if not isinstance(value, str) or len(value) > limit:
            raise BadEvent(name)
        shared[name] = CONTROL.sub("", value)
    if "e" in data:
        batch = data["e"]
        if not isinstance(batch, list) or not 0 < len(batch) <= MAX_BATCH or "t" in data:
            raise BadEvent("e")
        pairs = batch
    else:
        pairs = [[data.get("t"), data.get("c", "")]]
    events = []
    for pair in pairs:
        if not isinstance(pair, list) or len(pair) != 2:
            raise BadEvent("e")
        kind, component = pair
        if kind not in PageEventType.values:
            raise BadEvent("type")
        if not isinstance(component, str) or (component and not UUID_RE.match(component)):
            raise BadEvent("component")
        events.append({**shared, "t": kind, "c": component})
    return events


def _daily_salt(day: str) -> str:
    global _salt_cache
    if _salt_cache and _salt_cache[0] == day:
        return _salt_cache[1]
    key = f"analytics:visitor-salt:{day}"
    try:
        cache.add(key, secrets.token_hex(16), timeout=2 * 86400)
        salt = cache.get(key)
    except Exception:  # noqa: BLE001 (cache down: a salt derived from the secret key still rotates daily)
        salt = None
    if not salt:
        salt = hashlib.sha256(f"{settings.SECRET_KEY}:visitor:{day}".encode()).hexdigest()
    _salt_cache = (day, salt)
    return salt


def visitor_hash(address: str | None, user_agent: str, *, now: datetime | None = None) -> str:
    day = (now or datetime.now(UTC)).strftime("%Y-%m-%d")
    mac = hmac.new(_daily_salt(day).encode(), f"{address or '-'}|{user_agent}".encode(), hashlib.sha256)
    return mac.hexdigest()[:32]


def is_bot(user_agent: str) -> bool:
    return not user_agent or bool(BOTS.search(user_agent))


def opted_out(meta) -> bool:
    return meta.get("HTTP_DNT") == "1" or meta.get("HTTP_SEC_GPC") == "1"


def accept(events: list[dict], *, address: str | None, visitor: str, country: str) -> bool:
    """Count the events against the address's rate limit and keep them; False when over the limit.

    With Redis: one round trip (the accept script). Without it, or when it does not answer: the
    cache's counter (`craftplatform.ratelimit`, allowed when the cache is down too) and one INSERT
    per event; Redis is skipped for a few seconds after a failure."""
    global _redis_down_until
    now = time.time()
    stamped = [{**event, "h": visitor, "g": country, "at": now} for event in events]
    client = redis_client()
    if client is not None and time.monotonic() >= _redis_down_until:
        key, lifetime = ratelimit.window_key(RATE_SCOPE, address, window=RATE_WINDOW)
        try:
            kept = _scripts[settings.PAGE_EVENTS_REDIS_URL](
                keys=[key, STREAM],
                args=[
                    settings.PAGE_EVENTS_RATE_LIMIT,
                    lifetime,
                    *(json.dumps(event, separators=(",", ":")) for event in stamped),
                ],
                client=client,
            )
            return bool(kept)
        except redis.RedisError:
            _redis_down_until = time.monotonic() + settings.PAGE_EVENTS_REDIS_RETRY_SECONDS
            logger.warning("page-event stream unavailable: storing events directly")
    try:
        allowed = ratelimit.hit(
            RATE_SCOPE, address, limit=settings.PAGE_EVENTS_RATE_LIMIT, window=RATE_WINDOW, cost=len(events)
        ).allowed
    except Exception:  # noqa: BLE001 (cache down: keep counting visits rather than failing them)
        allowed = True
    if not allowed:
        return False
    for event in stamped:
        store_directly(event)
    return True


def record(event: dict, *, visitor: str, country: str) -> str:
    """Append one event without a rate limit (or store it directly when Redis is unavailable)."""
    global _redis_down_until
    event = {**event, "h": visitor, "g": country, "at": time.time()}
    client = redis_client()
    if client is not None and time.monotonic() >= _redis_down_until:
        try:
            client.xadd(STREAM, {"e": json.dumps(event, separators=(",", ":"))})
            return "stream"
        except redis.RedisError:
            _redis_down_until = time.monotonic() + settings.PAGE_EVENTS_REDIS_RETRY_SECONDS
            logger.warning("page-event stream unavailable: storing events directly")
    store_directly(event)
    return "database"


def row_values(event: dict, ingest_id: str) -> dict:
    return {
        "id": uuid.uuid4(),
        "ingest_id": ingest_id,
        "page_id": event["p"],
        "version_number": event["v"],
        "event_type": event["t"],
        "component_id": event.get("c", ""),
        "utm_source": event.get("utm_source", ""),
        "utm_medium": event.get("utm_medium", ""),
        "utm_campaign": event.get("utm_campaign", ""),
        "utm_content": event.get("utm_content", ""),
        "utm_term": event.get("utm_term", ""),
        "fbclid": event.get("f", ""),
        "referrer": event.get("r", ""),
        "visitor_hash": event.get("h", ""),
        "country": (event.get("g") or "")[:2],
        "occurred_at": datetime.fromtimestamp(float(event["at"]), tz=UTC),
        "created_at": datetime.now(UTC),
    }


def store_directly(event: dict) -> None:
    PageEvent.objects.create(**row_values(event, f"direct-{uuid.uuid4().hex}"))
