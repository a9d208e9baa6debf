"""Reading performance from Graph: structure (campaign statuses and budgets) and ad insights.

Insights are read at ad level, one row per ad and day (`time_increment=1`), with one of two
breakdown reports: placement (`publisher_platform`, `platform_position`) or demographic (`age`,
`gender`). Every page's usage headers are handed back so the sync can slow down before Meta
throttles it; errors come back as `campaigns.meta.errors.MetaError` like every Graph call.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from campaigns.meta import client
from campaigns.meta.errors import MetaError

INSIGHT_FIELDS = [
    "ad_id",
    "adset_id",
    "campaign_id",
    "account_currency",
    "attribution_setting",
    "impressions",
    "reach",
    "frequency",
    "clicks",
    "inline_link_clicks",
    "spend",
    "actions",
    "action_values",
]
BREAKDOWNS = {
    "placement": ["publisher_platform", "platform_position"],
    "demographic": ["age", "gender"],
}
STRUCTURE_FIELDS = "id,name,status,effective_status,daily_budget,lifetime_budget,end_time"
MAX_PAGES = 10_000


@dataclass
class Page:
    rows: list[dict]
    usage: dict


def is_too_much_data(error: MetaError) -> bool:
    """Graph's "Please reduce the amount of data you're asking for": ask for less, then again."""
    return "reduce the amount of data" in (error.message or "").lower()


def _params(report: str, since: date, until: date, page_size: int) -> dict:
    return {
        "level": "ad",
        "time_increment": 1,
        "time_range": json.dumps({"since": since.isoformat(), "until": until.isoformat()}),
        "breakdowns": ",".join(BREAKDOWNS[report]),
        "fields": ",".join(INSIGHT_FIELDS),
        "use_unified_attribution_setting": "true",
        "limit": page_size,
    }


def _pages(access_token: str, path: tuple, params: dict) -> Iterator[Page]:
    for _ in range(MAX_PAGES):
        body, usage = client.read_with_usage(access_token, path, params)
        yield Page(rows=body.get("data", []), usage=usage)
        paging = body.get("paging") or {}
        after = (paging.get("cursors") or {}).get("after")
        if not paging.get("next") or not after:
            return
        params["after"] = after


def insight_pages(
    access_token: str, *, account_id: str, report: str, since: date, until: date, page_size: int
) -> Iterator[Page]:
    """Every page of the account's ad-level daily insights for `report` over [since, until]."""
    return _pages(access_token, (account_id, "insights"), _params(report, since, until, page_size))


class ReportFailed(MetaError):
    """Meta gave up on an asynchronous report run (usually: too much data for one report)."""


def start_report(access_token: str, *, account_id: str, report: str, since: date, until: date) -> str:
    """An asynchronous report run for a large range: Meta prepares it, we poll, then read its pages."""
    body = client.call_with_usage(
        access_token, "POST", (account_id, "insights"), _params(report, since, until, page_size=500)
    )[0]
    return str(body["report_run_id"])


def report_status(access_token: str, report_run_id: str) -> tuple[str, int]:
    """("running" | "completed" | "failed", percent done)."""
    body = client.get(access_token, report_run_id, fields="id,async_status,async_percent_completion")
    state = str(body.get("async_status") or "")
    if state == "Job Completed":
        return "completed", 100
    if state in {"Job Failed", "Job Skipped"}:
        return "failed", int(body.get("async_percent_completion") or 0)
    return "running", int(body.get("async_percent_completion") or 0)


def report_pages(access_token: str, report_run_id: str, *, page_size: int) -> Iterator[Page]:
    return _pages(access_token, (report_run_id, "insights"), {"limit": page_size})


def campaign_states(access_token: str, *, campaign_ids: list[str]) -> dict[str, dict]:
    """Name, status and budgets of each campaign as Meta has it now (Ads Manager's changes too)."""
    states = {}
    for campaign_id in campaign_ids:
        states[campaign_id] = client.get(access_token, campaign_id, fields=STRUCTURE_FIELDS)
    return states
