"""A local fake of the parts of Meta's Graph API CraftAds uses, answering over HTTP like Graph.

The facebook-business SDK talks to it unchanged through `META_GRAPH_URL` (the SDK's
`FacebookSession.GRAPH`). It covers Facebook Login's code and long-lived token exchange,
permissions, `me/adaccounts` and `me/accounts` (Pages, with their Instagram account) with
cursor pagination, `adimages` by hash, campaigns, ad sets, ad creatives, ads (create, read,
filter by name, update, delete), targeting search, delivery estimates, and Graph's errors:
100 with `error_user_title`/`error_user_msg`, 190 (expired token), 17/4/613/80004 rate limits
with the usage headers and `estimated_time_to_regain_access`, and 5xx.

Everything created is kept in `FakeGraph.objects[kind]` and counted in `FakeGraph.created`,
so tests assert "no duplicate". Insights (ad level, daily, placement or age and gender
breakdowns) answer stable made-up numbers per ad, day and breakdown, directly (GET, paged) or as
asynchronous report runs (POST, then poll, then read pages); `restate` changes a day's numbers,
`max_ad_days` answers "reduce the amount of data" past a size, `fail_reports` fails report runs,
and `usage` headers go on every answer. `fail_next` works for every route.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date as _date
from datetime import timedelta as _timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

LONG_LIVED_SECONDS = 60 * 24 * 3600
EDGE_KINDS = {"campaigns": "campaign", "adsets": "adset", "adcreatives": "adcreative", "ads": "ad"}
USER_ID = "10001"
DEFAULT_SCOPES = ["ads_management", "ads_read", "business_management", "pages_show_list", "pages_read_engagement"]


class GraphError(Exception):
    def __init__(self, status: int, body: dict, headers: dict | None = None) -> None:
        super().__init__(body.get("error", {}).get("message", ""))
        self.status, self.body, self.headers = status, body, headers or {}


def error_body(code: int, message: str, *, type_: str = "OAuthException", subcode: int | None = None, **extra) -> dict:
    error = {"message": message, "type": type_, "code": code, "fbtrace_id": "AfakeTrace"}
    if subcode is not None:
        error["error_subcode"] = subcode
    error.update(extra)
    return {"error": error}


# Ready-made failures for `FakeGraph.fail_next`.
def invalid_parameter(user_title: str = "Invalid parameter", user_msg: str = "A value is not valid.") -> GraphError:
    return GraphError(
        400,
        error_body(
            100,
            "Invalid parameter",
            subcode=1487390,
            error_user_title=user_title,
            error_user_msg=user_msg,
            is_transient=False,
        ),
    )


def token_expired() -> GraphError:
    return GraphError(
        400,
        error_body(190, "Error validating access token: Session has expired.", subcode=463),
    )


def rate_limited(
    code: int = 17, *, wait_minutes: int = 0, reset_seconds: int | None = None, account_id: str = ""
) -> GraphError:
    """Graph's rate-limit error with its usage headers: `estimated_time_to_regain_access` is in minutes
    (business use case header); `reset_time_duration` (ad account header) in seconds."""
    messages = {
        4: "Application request limit reached",
        17: "User request limit reached",
        613: "Calls to this api have exceeded the rate limit.",
        80004: "There have been too many calls to this ad-account. Wait a bit and try again.",
        2446079: "There have been too many calls from this ad-account.",
    }
    usage = {
        "x-business-use-case-usage": json.dumps(
            {
                account_id or "1": [
                    {
                        "type": "ads_management",
                        "call_count": 100,
                        "total_cputime": 40,
                        "total_time": 60,
                        "estimated_time_to_regain_access": wait_minutes,
                    }
                ]
            }
        ),
        "x-ad-account-usage": json.dumps(
            {
                "acc_id_util_pct": 100.0,
                "reset_time_duration": wait_minutes * 60 if reset_seconds is None else reset_seconds,
            }
        ),
        "x-app-usage": json.dumps({"call_count": 100, "total_cputime": 30, "total_time": 40}),
    }
    return GraphError(400, error_body(code, messages.get(code, "Rate limited"), subcode=2446079), usage)


def server_error(status: int = 500) -> GraphError:
    return GraphError(
        status, error_body(2, "An unexpected error has occurred. Please retry your request later.", is_transient=True)
    )


@dataclass
class Failure:
    method: str
    pattern: str
    error: GraphError | None
    delay: float = 0.0


PLACEMENT_COMBOS = (
    {"publisher_platform": "facebook", "platform_position": "feed"},
    {"publisher_platform": "instagram", "platform_position": "story"},
)
DEMOGRAPHIC_COMBOS = ({"age": "25-34", "gender": "female"}, {"age": "35-44", "gender": "male"})


class InsightRows(Sequence):
    """Ad-level daily insight rows (ads sorted by id, then days, then breakdown values), made on
    demand: slicing a page builds that page's rows only. Numbers are stable per (ad, day, breakdown
    values) unless restated."""

    def __init__(
        self,
        ads: list[tuple[str, str, str]],
        days: list[str],
        combos,
        currency: str,
        restated: dict,
        encoded: dict | None = None,
    ) -> None:
        self.ads, self.days, self.combos, self.currency, self.restated = ads, days, combos, currency, restated
        self._per_ad = len(days) * len(combos)
        # (ad, day, breakdown values) -> the row as JSON, shared by every request (None: no cache).
        self._encoded = encoded
        self._combo_keys = [tuple(sorted(combo.items())) for combo in combos]

    def encoded(self, start: int, stop: int) -> str:
        """Rows [start, stop) as the inside of a JSON array, from the cache where made before."""
        parts = []
        for n in range(start, min(stop, len(self))):
            if self._encoded is None:
                parts.append(json.dumps(self._row(n)))
                continue
            ad_id = self.ads[n // self._per_ad][0]
            rest = n % self._per_ad
            key = (ad_id, self.days[rest // len(self.combos)], self._combo_keys[rest % len(self.combos)])
            text = self._encoded.get(key)
            if text is None:
                text = self._encoded[key] = json.dumps(self._row(n))
            parts.append(text)
        return ",".join(parts)

    def __len__(self) -> int:
        return len(self.ads) * self._per_ad

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._row(n) for n in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._row(index)

    def _row(self, n: int) -> dict:
        ad_id, adset_id, campaign_id = self.ads[n // self._per_ad]
        rest = n % self._per_ad
        day, combo = self.days[rest // len(self.combos)], self.combos[rest % len(self.combos)]
        seed = int(hashlib.sha256(f"{ad_id}|{day}|{sorted(combo.items())}".encode()).hexdigest()[:8], 16)
        impressions = 1000 + seed % 9000
        clicks = 10 + seed % 190
        purchases = seed % 4
        row = {
            "date_start": day,
            "date_stop": day,
            "ad_id": ad_id,
            "adset_id": adset_id,
            "campaign_id": campaign_id,
            "account_currency": self.currency,
            "attribution_setting": "7d_click_1d_view",
            "impressions": str(impressions),
            "reach": str(int(impressions * 0.8)),
            "frequency": f"{impressions / int(impressions * 0.8):.6f}",
            "clicks": str(clicks),
            "inline_link_clicks": str(int(clicks * 0.7)),
            "spend": f"{(seed % 5000) / 100 + 1:.2f}",
            "actions": [
                {"action_type": "link_click", "value": str(int(clicks * 0.7))},
                {"action_type": "purchase", "value": str(purchases)},
            ],
            "action_values": [{"action_type": "purchase", "value": f"{purchases * 24.5:.2f}"}],
            **combo,
        }
        if self.restated:
            row.update(self.restated.get((ad_id, day), {}))
        return row


@dataclass
class FakeGraph:
    app_id: str = "1234567890"
    app_secret: str = "fake-app-secret"
    granted_scopes: list[str] = field(default_factory=lambda: list(DEFAULT_SCOPES))
    page_size: int = 2

    def __post_init__(self) -> None:
        self.lock = threading.RLock()
        self._ids = itertools.count(120200000000001)
        self.codes: dict[str, str] = {}  # code -> redirect_uri
        self.tokens: dict[str, dict] = {}  # token -> {"expires_at": ts, "long": bool}
        self.revoked: set[str] = set()
        self.objects: dict[str, dict[str, dict]] = {kind: {} for kind in EDGE_KINDS.values()}
        self.images: dict[str, dict[str, dict]] = {}  # account -> hash -> image
        self.created: Counter = Counter()
        self.requests: list[tuple[str, str, dict, float]] = []
        self.failures: list[Failure] = []
        # Insights: numbers are made up from (ad, day, breakdown values), stable from call to call;
        # `restate` changes a day's numbers as Meta does; `max_ad_days` makes a request for more
        # ad-days than that fail with "reduce the amount of data"; `usage` headers go on every answer.
        self.restated: dict[tuple[str, str], dict] = {}
        # Asynchronous report runs: id -> rows and polls so far; `report_polls` polls say "running"
        # before "completed"; `fail_reports` makes the next report runs fail.
        self.reports: dict[str, dict] = {}
        self.report_polls = 1
        self.fail_reports = 0
        self.max_ad_days: int | None = None
        self.usage: dict[str, str] = {}
        self.encoded_rows: dict[tuple, str] = {}  # insight rows as JSON, dropped when restated
        self._ads_changes = 0  # bumped by every ad update or delete through the API
        self._ads_cache: dict[str, tuple[tuple[int, int], list[tuple[str, str, str]]]] = {}
        self.ad_accounts = [
            {
                "id": "act_111",
                "account_id": "111",
                "name": "Main ads",
                "currency": "EUR",
                "timezone_name": "Europe/Paris",
                "account_status": 1,
                "spend_cap": "0",
                "amount_spent": "0",
            },
            {
                "id": "act_222",
                "account_id": "222",
                "name": "US shop",
                "currency": "USD",
                "timezone_name": "America/New_York",
                "account_status": 1,
                "spend_cap": "500000",
                "amount_spent": "1200",
            },
            {
                "id": "act_333",
                "account_id": "333",
                "name": "Old account",
                "currency": "EUR",
                "timezone_name": "Europe/Paris",
                "account_status": 2,
                "spend_cap": "0",
                "amount_spent": "0",
            },
        ]
        self.pages = [
            {"id": "501", "name": "Bakery Lumière", "instagram_business_account": {"id": "17841400000000001"}},
            {"id": "502", "name": "Second page"},
        ]
        self.interests = [
            {
                "id": "6003139266461",
                "name": "Baking",
                "audience_size_lower_bound": 90000000,
                "audience_size_upper_bound": 110000000,
                "path": ["Interests", "Food and drink", "Baking"],
            },
            {
                "id": "6003107902433",
                "name": "Bakery",
                "audience_size_lower_bound": 20000000,
                "audience_size_upper_bound": 25000000,
                "path": ["Interests", "Food and drink", "Bakery"],
            },
            {
                "id": "6003020834693",
                "name": "Coffee",
                "audience_size_lower_bound": 300000000,
                "audience_size_upper_bound": 350000000,
                "path": ["Interests", "Food and drink", "Coffee"],
            },
        ]

    # -- test controls ---------------------------------------------------------
    def issue_code(self, redirect_uri: str) -> str:
        """What Facebook Login puts on the redirect after the user agrees."""
        code = f"code-{next(self._ids)}"
        self.codes[code] = redirect_uri
        return code

    def expire_tokens(self) -> None:
        with self.lock:
            for token in self.tokens.values():
                token["expires_at"] = time.time() - 1

    def fail_next(self, method: str, pattern: str, error: GraphError | None = None, *, delay: float = 0.0) -> None:
        """The next request whose `METHOD path` matches `pattern` (a regex searched in the path) fails
        with `error` (or, with `error=None`, is only delayed by `delay` seconds, then answered)."""
        with self.lock:
            self.failures.append(Failure(method.upper(), pattern, error, delay))

    def requests_to(self, method: str, pattern: str) -> list[tuple[str, str, dict, float]]:
        return [r for r in self.requests if r[0] == method.upper() and re.search(pattern, r[1])]

    def live(self, kind: str) -> list[dict]:
        return [obj for obj in self.objects[kind].values() if obj.get("status") != "DELETED"]

    # -- request handling ------------------------------------------------------
    def handle(self, method: str, path: str, params: dict) -> tuple[int, dict | str, dict]:
        parts = [part for part in path.split("/") if part]
        if parts and re.fullmatch(r"v\d+\.\d+", parts[0]):
            parts = parts[1:]
        clean = "/" + "/".join(parts)
        with self.lock:
            self.requests.append((method, clean, {k: v for k, v in params.items() if k != "access_token"}, time.time()))
            failure = next((f for f in self.failures if f.method == method and re.search(f.pattern, clean)), None)
            if failure is not None:
                self.failures.remove(failure)
        if failure is not None:
            if failure.delay:
                time.sleep(failure.delay)
            if failure.error is not None:
                raise failure.error
        with self.lock:
            return 200, self.route(method, parts, params), dict(self.usage)

    def _check_token(self, params: dict) -> str:
        token = params.get("access_token", "")
        info = self.tokens.get(token)
        if info is None or token in self.revoked:
            raise GraphError(400, error_body(190, "Invalid OAuth access token - Cannot parse access token"))
        if info["expires_at"] < time.time():
            raise token_expired()
        return token

    def route(self, method: str, parts: list[str], params: dict) -> dict | str:
        if parts == ["oauth", "access_token"]:
            return self._oauth(params)
        token = self._check_token(params)
        if parts == ["me"]:
            return {"id": USER_ID, "name": "Test Advertiser"}
        if parts == ["me", "permissions"]:
            if method == "DELETE":
                self.revoked.add(token)
                return {"success": True}
            return {"data": [{"permission": s, "status": "granted"} for s in self.granted_scopes]}
        if parts == ["me", "adaccounts"]:
            return self._page_of(self.ad_accounts, params)
        if parts == ["me", "accounts"]:
            return self._page_of(self.pages, params)
        if parts == ["search"]:
            query = str(params.get("q", "")).lower()
            return {"data": [i for i in self.interests if query in i["name"].lower()]}
        if len(parts) == 2 and parts[0].startswith("act_"):
            account, edge = parts
            if edge == "adimages":
                return self._adimages(method, account, params)
            if edge == "insights":
                if method == "POST":
                    return self._start_report(account, params)
                return self._page_of(self._insight_rows(account, params), params)
            if edge in EDGE_KINDS:
                return self._edge(method, account, EDGE_KINDS[edge], params)
            if edge == "delivery_estimate":
                return {
                    "data": [
                        {
                            "estimate_mau_lower_bound": 1200000,
                            "estimate_mau_upper_bound": 1400000,
                            "estimate_ready": True,
                        }
                    ]
                }
        if parts and parts[0] in self.reports:
            return self._report(parts, params)
        if len(parts) == 1:
            return self._node(method, parts[0], params)
        raise GraphError(
            400, error_body(100, f"Unsupported request: {method} /{'/'.join(parts)}", type_="GraphMethodException")
        )

    def _oauth(self, params: dict) -> dict:
        if params.get("client_id") != self.app_id or params.get("client_secret") != self.app_secret:
            raise GraphError(400, error_body(1, "Error validating client secret."))
        if params.get("grant_type") == "fb_exchange_token":
            short = params.get("fb_exchange_token", "")
            if short not in self.tokens:
                raise GraphError(400, error_body(190, "Invalid OAuth access token."))
            token = f"EAAlong{next(self._ids)}"
            self.tokens[token] = {"expires_at": time.time() + LONG_LIVED_SECONDS, "long": True}
            return {"access_token": token, "token_type": "bearer", "expires_in": LONG_LIVED_SECONDS}
        code = params.get("code", "")
        if self.codes.pop(code, None) != params.get("redirect_uri"):
            raise GraphError(400, error_body(100, "Invalid verification code format.", subcode=36009))
        token = f"EAAshort{next(self._ids)}"
        self.tokens[token] = {"expires_at": time.time() + 3600, "long": False}
        return {"access_token": token, "token_type": "bearer", "expires_in": 3600}

    def _page_of(self, items: Sequence[dict], params: dict) -> dict | str:
        limit = int(params.get("limit") or self.page_size)
        start = int(base64.b64decode(params["after"]).decode()) if params.get("after") else 0
        if isinstance(items, InsightRows):  # the page's JSON text, from rows kept as text
            end = min(len(items), start + limit)
            paging = self._paging(start, end, len(items))
            return '{"data": [' + items.encoded(start, end) + '], "paging": ' + json.dumps(paging) + "}"
        chunk = items[start : start + limit]
        end = start + len(chunk)
        return {"data": chunk, "paging": self._paging(start, end, len(items))}

    def _paging(self, start: int, end: int, total: int) -> dict:
        cursors = {
            "before": base64.b64encode(str(start).encode()).decode(),
            "after": base64.b64encode(str(end).encode()).decode(),
        }
        paging: dict[str, Any] = {"cursors": cursors}
        if end < total:
            paging["next"] = f"https://graph.invalid/next?after={cursors['after']}"
        return paging

    def restate(self, ad_id: str, day: str, **numbers) -> None:
        """Meta's numbers for an ad's day change (as Meta restates recent days)."""
        with self.lock:
            self.restated[(str(ad_id), day)] = numbers
            for key in [k for k in self.encoded_rows if k[0] == str(ad_id) and k[1] == day]:
                del self.encoded_rows[key]

    def _start_report(self, account: str, params: dict) -> dict:
        report_id = str(next(self._ids))
        failing = self.fail_reports > 0
        self.fail_reports -= failing
        self.reports[report_id] = {
            "rows": [] if failing else self._insight_rows(account, params, snapshot=True),
            "polls": 0,
            "fail": failing,
        }
        self.created["report_run"] += 1
        return {"report_run_id": report_id}

    def _report(self, parts: list[str], params: dict) -> dict:
        report = self.reports[parts[0]]
        if parts[1:] == ["insights"]:
            return self._page_of(report["rows"], params)
        report["polls"] += 1
        if report["fail"]:
            return {"id": parts[0], "async_status": "Job Failed", "async_percent_completion": 40}
        done = report["polls"] > self.report_polls
        return {
            "id": parts[0],
            "async_status": "Job Completed" if done else "Job Running",
            "async_percent_completion": 100 if done else 50,
        }

    def _insight_rows(self, account: str, params: dict, *, snapshot: bool = False) -> InsightRows:
        """The rows of one insights request, made up only for the page asked for (a window of 10,000
        ads is 100,000s of rows; a page is 500). A report run snapshots the restatements it started with."""
        time_range = params.get("time_range") or {}
        since = _date.fromisoformat(time_range["since"])
        until = _date.fromisoformat(time_range["until"])
        days = [(since + _timedelta(days=n)).isoformat() for n in range((until - since).days + 1)]
        ads = self._account_ads(account)
        if self.max_ad_days is not None and len(ads) * len(days) > self.max_ad_days:
            raise GraphError(
                500,
                error_body(
                    1,
                    "Please reduce the amount of data you're asking for, then retry your request",
                    type_="OAuthException",
                    is_transient=True,
                ),
            )
        breakdowns = str(params.get("breakdowns", ""))
        combos = DEMOGRAPHIC_COMBOS if "age" in breakdowns else PLACEMENT_COMBOS
        currency = next((a["currency"] for a in self.ad_accounts if a["id"] == account), "USD")
        if snapshot:  # a report run answers the numbers of when it started
            return InsightRows(ads, days, combos, currency, dict(self.restated))
        return InsightRows(ads, days, combos, currency, self.restated, self.encoded_rows)

    def prepare_insights(self, account: str, since: str, until: str) -> int:
        """Make and keep every row of both reports for these days (a benchmark's fake then only
        joins kept text per page); returns how many rows."""
        made = 0
        for breakdowns in ("publisher_platform,platform_position", "age,gender"):
            params = {"time_range": {"since": since, "until": until}, "breakdowns": breakdowns}
            rows = self._insight_rows(account, params)
            rows.encoded(0, len(rows))
            made += len(rows)
        return made

    def _account_ads(self, account: str) -> list[tuple[str, str, str]]:
        """(ad id, ad set id, campaign id) of the account's live ads, sorted; kept until an ad changes."""
        ads = self.objects["ad"]
        version = (len(ads), self._ads_changes)
        cached = self._ads_cache.get(account)
        if cached is not None and cached[0] == version:
            return cached[1]
        found = []
        for ad in sorted((a for a in self.live("ad") if a["account_id"] == account), key=lambda a: a["id"]):
            adset = self.objects["adset"].get(str(ad.get("adset_id")), {})
            found.append((ad["id"], str(ad.get("adset_id", "")), str(adset.get("campaign_id", ""))))
        self._ads_cache[account] = (version, found)
        return found

    def _adimages(self, method: str, account: str, params: dict) -> dict:
        store = self.images.setdefault(account, {})
        if method == "GET":
            hashes = params.get("hashes") or []
            return {"data": [store[h] for h in hashes if h in store]}
        raw = base64.b64decode(params.get("bytes", ""))
        if not raw:
            raise invalid_parameter("Image missing", "Upload an image file.")
        image_hash = hashlib.md5(raw).hexdigest()  # noqa: S324 (what Meta's image hash is)
        self.created["adimage"] += 1
        image = {
            "hash": image_hash,
            "url": f"https://scontent.invalid/{image_hash}.png",
            "id": f"{account}:{image_hash}",
        }
        store[image_hash] = image
        name = params.get("name") or "image.png"
        return {"images": {name: image}}

    def _edge(self, method: str, account: str, kind: str, params: dict) -> dict:
        objects = self.objects[kind]
        if method == "GET":
            found = [o for o in objects.values() if o["account_id"] == account and o.get("status") != "DELETED"]
            for rule in params.get("filtering") or []:
                value = rule.get("value")
                if rule.get("operator") == "CONTAIN":
                    found = [o for o in found if str(value) in str(o.get(rule["field"], ""))]
                elif rule.get("operator") == "EQUAL":
                    found = [o for o in found if str(o.get(rule["field"], "")) == str(value)]
            return self._page_of(found, params)
        self._validate(kind, account, params)
        object_id = str(next(self._ids))
        obj = {k: v for k, v in params.items() if k != "access_token"}
        obj.update(id=object_id, account_id=account)
        obj.setdefault("status", "PAUSED" if kind != "adcreative" else "ACTIVE")
        objects[object_id] = obj
        self.created[kind] += 1
        return {"id": object_id}

    def _validate(self, kind: str, account: str, params: dict) -> None:
        required = {
            "campaign": ["name", "objective", "special_ad_categories"],
            "adset": ["name", "campaign_id", "targeting", "billing_event", "optimization_goal"],
            "adcreative": ["name", "object_story_spec"],
            "ad": ["name", "adset_id", "creative"],
        }[kind]
        missing = [name for name in required if name not in params]
        if kind == "adcreative" and "asset_feed_spec" in params:
            missing = [m for m in missing if m != "object_story_spec"]
        if missing:
            raise invalid_parameter("Missing parameter", f"The parameter {missing[0]} is required.")
        if kind == "adset" and str(params["campaign_id"]) not in self.objects["campaign"]:
            raise invalid_parameter("Campaign not found", "The campaign of this ad set does not exist.")
        if kind == "ad":
            if str(params["adset_id"]) not in self.objects["adset"]:
                raise invalid_parameter("Ad set not found", "The ad set of this ad does not exist.")
            creative = params["creative"] if isinstance(params["creative"], dict) else {}
            if str(creative.get("creative_id")) not in self.objects["adcreative"]:
                raise invalid_parameter("Creative not found", "The ad creative of this ad does not exist.")
        for budget in ("daily_budget", "lifetime_budget"):
            if budget in params and int(params[budget]) < 100:
                raise invalid_parameter("Budget too low", "Your budget is too low for this ad set.")

    def _node(self, method: str, object_id: str, params: dict) -> dict:
        for kind, objects in self.objects.items():
            if object_id in objects:
                obj = objects[object_id]
                if method != "GET":
                    self._ads_changes += 1
                if method == "GET":
                    if obj.get("status") == "DELETED":
                        break
                    fields = [f for f in str(params.get("fields", "")).split(",") if f]
                    return {k: v for k, v in obj.items() if not fields or k in fields or k == "id"}
                if method == "DELETE":
                    obj["status"] = "DELETED"
                    return {"success": True}
                self._validate_update(kind, params)
                obj.update({k: v for k, v in params.items() if k != "access_token"})
                return {"success": True}
        raise GraphError(
            400,
            error_body(
                100,
                f"Unsupported get request. Object with ID '{object_id}' does not exist.",
                type_="GraphMethodException",
                subcode=33,
            ),
        )

    def _validate_update(self, kind: str, params: dict) -> None:
        status = params.get("status")
        if status is not None and status not in {"ACTIVE", "PAUSED", "ARCHIVED", "DELETED"}:
            raise invalid_parameter("Invalid status", f"{status} is not a status.")
        for budget in ("daily_budget", "lifetime_budget"):
            if budget in params and int(params[budget]) < 100:
                raise invalid_parameter("Budget too low", "Your budget is too low for this ad set.")


def _decode(value: str) -> Any:
    if value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class _Handler(BaseHTTPRequestHandler):
    fake: FakeGraph

    def log_message(self, *args) -> None:  # quiet
        pass

    def _answer(self, method: str) -> None:
        url = urlsplit(self.path)
        params = {k: _decode(v) for k, v in parse_qsl(url.query, keep_blank_values=True)}
        if url.path.endswith("/dialog/oauth"):
            self._login_dialog(params)
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            body = self.rfile.read(length)
            if self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
                params.update({k: _decode(v) for k, v in parse_qsl(body.decode(), keep_blank_values=True)})
        try:
            status, payload, headers = self.fake.handle(method, url.path, params)
        except GraphError as error:
            status, payload, headers = error.status, error.body, error.headers
        data = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _login_dialog(self, params: dict) -> None:
        """Facebook Login's dialog, as if the user agreed at once: back to the app with a code."""
        self.fake.requests.append(("GET", "/dialog/oauth", dict(params), time.time()))
        code = self.fake.issue_code(params.get("redirect_uri", ""))
        separator = "&" if "?" in params.get("redirect_uri", "") else "?"
        target = (
            f"{params.get('redirect_uri', '')}{separator}{urlencode({'code': code, 'state': params.get('state', '')})}"
        )
        self.send_response(302)
        self.send_header("Location", target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def do_DELETE(self) -> None:
        self._answer("DELETE")


class FakeGraphServer:
    """`with FakeGraphServer() as fake:` runs the fake on a free port; `fake.base_url` is META_GRAPH_URL."""

    def __init__(self, **kwargs) -> None:
        self.graph = FakeGraph(**kwargs)
        handler = type("Handler", (_Handler,), {"fake": self.graph})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeGraph:
        self.thread.start()
        self.graph.base_url = self.base_url  # type: ignore[attr-defined]
        return self.graph

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
