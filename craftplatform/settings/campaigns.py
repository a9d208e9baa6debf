"""Settings of campaigns and what follows them: Meta, performance sync, publishing, analytics, landing
pages, leads, page events and outgoing webhooks.

Imported by base.py; every value comes from the environment with a default for the embedded mode.
"""

from .env import REDIS_URL, env

# ---------------------------------------------------------------------------
# Campaigns: Meta (connect and publish). See README "Campaigns and Meta".
# ---------------------------------------------------------------------------
# The Meta app (developers.facebook.com) that users connect through. Without both, users can still
# draft campaigns and the Campaigns area says that publishing needs the operator to configure one.
META_APP_ID = env("META_APP_ID", default="")
META_APP_SECRET = env("META_APP_SECRET", default="")
# Only for tests and demos: point the SDK (and Facebook Login's dialog) at another server.
META_GRAPH_URL = env("META_GRAPH_URL", default="https://graph.facebook.com").rstrip("/")
META_OAUTH_DIALOG_URL = env("META_OAUTH_DIALOG_URL", default="https://www.facebook.com/v23.0/dialog/oauth")
META_API_VERSION = env("META_API_VERSION", default="v23.0")
META_TIMEOUT_SECONDS = env.int("META_TIMEOUT_SECONDS", default=30)
# A rate-limited publish waits at least this long (and at least what Meta's usage headers say).
META_RATE_LIMIT_MIN_WAIT_SECONDS = env.int("META_RATE_LIMIT_MIN_WAIT_SECONDS", default=60)

# --- Meta performance sync (campaigns/sync) ---
# Meta restates recent days: every sync re-reads this many days; older days are read once.
META_SYNC_RESTATE_DAYS = env.int("META_SYNC_RESTATE_DAYS", default=28)
META_SYNC_WINDOW_DAYS = env.int("META_SYNC_WINDOW_DAYS", default=7)  # days per insights request
META_SYNC_PAGE_SIZE = env.int("META_SYNC_PAGE_SIZE", default=500)
# Rows stored per transaction: pages are gathered until they hold this many (progress stays per window).
META_SYNC_STORE_ROWS = env.int("META_SYNC_STORE_ROWS", default=5000)
# A first sync back-fills older days in windows this large, as asynchronous report runs.
META_SYNC_BACKFILL_WINDOW_DAYS = env.int("META_SYNC_BACKFILL_WINDOW_DAYS", default=30)
META_SYNC_REPORT_TIMEOUT_SECONDS = env.int("META_SYNC_REPORT_TIMEOUT_SECONDS", default=15 * 60)
META_SYNC_LEASE_SECONDS = env.int("META_SYNC_LEASE_SECONDS", default=10 * 60)
META_SYNC_MAX_ATTEMPTS = env.int("META_SYNC_MAX_ATTEMPTS", default=8)
# Past this share of any usage header, the sync pauses before its next call (up to the maximum).
META_SYNC_SLOWDOWN_PERCENT = env.int("META_SYNC_SLOWDOWN_PERCENT", default=75)
META_SYNC_MAX_PAUSE_SECONDS = env.float("META_SYNC_MAX_PAUSE_SECONDS", default=30.0)
META_SYNC_NOW_PER_HOUR = env.int("META_SYNC_NOW_PER_HOUR", default=4)
# Template click-through rates are ranked and shown only past this many impressions.
TEMPLATE_METRICS_MIN_IMPRESSIONS = env.int("TEMPLATE_METRICS_MIN_IMPRESSIONS", default=1000)
# Days of synced numbers the nightly template-metrics rollup recomputes.
TEMPLATE_METRICS_ROLLUP_DAYS = env.int("TEMPLATE_METRICS_ROLLUP_DAYS", default=28)
# A publish run holds its lease this long; attempts (worker deaths, transient Meta errors) are capped.
CAMPAIGN_PUBLISH_LEASE_SECONDS = env.int("CAMPAIGN_PUBLISH_LEASE_SECONDS", default=5 * 60)
CAMPAIGN_PUBLISH_MAX_ATTEMPTS = env.int("CAMPAIGN_PUBLISH_MAX_ATTEMPTS", default=8)
# "Publish" and status changes per user per hour.
CAMPAIGN_PUBLISH_RATE_LIMIT = env.int("CAMPAIGN_PUBLISH_RATE_LIMIT", default=30)

# ---------------------------------------------------------------------------
# Analytics
# ---------------------------------------------------------------------------
# Days before today that the hourly rollup recomputes (late rows, restated numbers).
ANALYTICS_RECOMPUTE_DAYS = env.int("ANALYTICS_RECOMPUTE_DAYS", default=3)
# Meta restates insights up to 28 days back: the ad-performance rollups of that window are redone.
ANALYTICS_PERFORMANCE_RECOMPUTE_DAYS = env.int("ANALYTICS_PERFORMANCE_RECOMPUTE_DAYS", default=28)

# ---------------------------------------------------------------------------
# Landing pages, leads, page events, outgoing webhooks (issue 15)
# ---------------------------------------------------------------------------
# Page events: the Redis stream the beacon appends to (default: REDIS_URL; empty: events are
# written straight to the database, the embedded mode), and how the drain reads it.
PAGE_EVENTS_REDIS_URL = env("PAGE_EVENTS_REDIS_URL", default=REDIS_URL)
PAGE_EVENTS_DRAIN_BATCH = env.int("PAGE_EVENTS_DRAIN_BATCH", default=2000)
PAGE_EVENTS_CLAIM_IDLE_MS = env.int("PAGE_EVENTS_CLAIM_IDLE_MS", default=30_000)
PAGE_EVENTS_REDIS_RETRY_SECONDS = env.float("PAGE_EVENTS_REDIS_RETRY_SECONDS", default=5.0)
PAGE_EVENTS_RATE_LIMIT = env.int("PAGE_EVENTS_RATE_LIMIT", default=120)  # events per address per minute
# The request header a proxy sets with the visitor's country (e.g. HTTP_CF_IPCOUNTRY); empty: none.
PAGE_EVENTS_COUNTRY_META = env("PAGE_EVENTS_COUNTRY_META", default="")
# Lead forms: seconds a person needs at least, and submissions per address and page per window.
LEAD_MIN_SECONDS = env.int("LEAD_MIN_SECONDS", default=2)
LEAD_RATE_LIMIT = env.int("LEAD_RATE_LIMIT", default=5)
LEAD_RATE_WINDOW = env.int("LEAD_RATE_WINDOW", default=600)
# Outgoing webhooks and WordPress: requests to user-given addresses (craftplatform/safe_http.py).
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
WEBHOOK_RETRY_WINDOW_SECONDS = env.int("WEBHOOK_RETRY_WINDOW_SECONDS", default=24 * 3600)
SAFE_HTTP_TIMEOUT_SECONDS = env.float("SAFE_HTTP_TIMEOUT_SECONDS", default=20.0)
SAFE_HTTP_MAX_BYTES = env.int("SAFE_HTTP_MAX_BYTES", default=10 * 1024 * 1024)
# Only for test suites talking to local fake servers: lets safe_http reach 127.0.0.1 / ::1.
SAFE_HTTP_ALLOW_LOOPBACK_FOR_TESTS = env.bool("SAFE_HTTP_ALLOW_LOOPBACK_FOR_TESTS", default=False)
