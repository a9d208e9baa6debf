"""Meta's rules the wizard checks before anything is sent: budgets, schedule, placements by format,
special ad categories' targeting limits, destination URLs. Pure functions over plain values."""

from __future__ import annotations

import re
from datetime import date, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Meta's minimum daily budget per ad set, in minor units (impressions-billed; CPC bidding is higher).
MIN_DAILY_BUDGET = {
    "USD": 100,
    "EUR": 100,
    "GBP": 100,
    "CAD": 100,
    "AUD": 100,
    "CHF": 100,
    "SEK": 1000,
    "NOK": 1000,
    "DKK": 700,
    "PLN": 400,
    "BRL": 500,
    "MXN": 2000,
    "INR": 8600,
    "JPY": 100,
}
DEFAULT_MIN_DAILY_BUDGET = 100

# Formats to the placements they fit.
PLACEMENTS = {
    "feeds": {
        "label": "Feeds (Facebook, Instagram)",
        "formats": ["1:1", "4:5"],
        "spec": {
            "publisher_platforms": ["facebook", "instagram"],
            "facebook_positions": ["feed"],
            "instagram_positions": ["stream"],
        },
    },
    "stories_reels": {
        "label": "Stories and Reels",
        "formats": ["9:16"],
        "spec": {
            "publisher_platforms": ["facebook", "instagram"],
            "facebook_positions": ["story", "facebook_reels"],
            "instagram_positions": ["story", "reels"],
        },
    },
    "instream_rhc": {
        "label": "In-stream and right column",
        "formats": ["16:9"],
        "spec": {"publisher_platforms": ["facebook"], "facebook_positions": ["instream_video", "right_hand_column"]},
    },
}
FORMAT_PLACEMENT = {fmt: key for key, value in PLACEMENTS.items() for fmt in value["formats"]}

CALLS_TO_ACTION = [
    ("LEARN_MORE", "Learn more"),
    ("SHOP_NOW", "Shop now"),
    ("SIGN_UP", "Sign up"),
    ("BOOK_TRAVEL", "Book now"),
    ("CONTACT_US", "Contact us"),
    ("DOWNLOAD", "Download"),
    ("GET_OFFER", "Get offer"),
    ("ORDER_NOW", "Order now"),
    ("SUBSCRIBE", "Subscribe"),
    ("APPLY_NOW", "Apply now"),
]

# Special ad categories (credit, employment, housing) forbid narrowing by age and gender and
# require a location radius of at least 15 miles.
RESTRICTED_CATEGORIES = {"CREDIT", "EMPLOYMENT", "HOUSING"}
RESTRICTED_MIN_RADIUS_KM = 25


def min_daily_budget(currency: str) -> int:
    return MIN_DAILY_BUDGET.get(currency.upper(), DEFAULT_MIN_DAILY_BUDGET)


def budget_errors(
    *,
    budget_type: str,
    amount: int,
    currency: str,
    account_currency: str | None,
    start: datetime | None,
    end: datetime | None,
    now: datetime,
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if account_currency and currency.upper() != account_currency.upper():
        errors["currency"] = (
            f"The ad account spends in {account_currency}; a budget in {currency} cannot be used. "
            f"Enter the budget in {account_currency}."
        )
    if start and end and end <= start:
        errors["end_time"] = "The end must be after the start."
    if end and end <= now:
        errors["end_time"] = "The end is in the past."
    if budget_type == "lifetime" and not end:
        errors["end_time"] = "A lifetime budget needs an end date."
    minimum = min_daily_budget(currency)
    if budget_type == "lifetime" and start and end and end > start:
        days = max(1, -(-int((end - start).total_seconds()) // 86400))
        minimum = minimum * days
    if amount < minimum:
        errors["budget_amount"] = f"Meta's minimum here is {minimum / 100:.2f} {currency.upper()}" + (
            " for the whole schedule." if budget_type == "lifetime" else " a day."
        )
    return errors


def targeting_errors(targeting: dict, special_categories: list[str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    age_min, age_max = int(targeting.get("age_min") or 18), int(targeting.get("age_max") or 65)
    if not 13 <= age_min <= 65 or not 13 <= age_max <= 65 or age_min > age_max:
        errors["age_min"] = "Ages go from 13 to 65, the youngest first."
    if not (targeting.get("countries") or targeting.get("regions") or targeting.get("cities")):
        errors["countries"] = "Choose at least one country, region or city."
    if RESTRICTED_CATEGORIES & set(special_categories):
        if age_min != 18 or age_max != 65:
            errors["age_min"] = "Ads about credit, employment or housing must reach all adults: ages 18 to 65+."
        if targeting.get("genders"):
            errors["genders"] = "Ads about credit, employment or housing cannot target one gender."
        small = [c for c in targeting.get("cities") or [] if int(c.get("radius_km") or 0) < RESTRICTED_MIN_RADIUS_KM]
        if small:
            errors["cities"] = (
                f"Ads about credit, employment or housing need a radius of at least "
                f"{RESTRICTED_MIN_RADIUS_KM} km (15 miles) around a city."
            )
    return errors


def placement_errors(mode: str, placements: list[str], formats: set[str]) -> dict[str, str]:
    if mode != "manual":
        return {}
    if not placements:
        return {"placements": "Choose at least one placement, or let Meta place the ads automatically."}
    unfit = [PLACEMENTS[p]["label"] for p in placements if not set(PLACEMENTS[p]["formats"]) & formats]
    if unfit:
        return {
            "placements": f"No creative has a format for: {', '.join(unfit)}. "
            "Add a creative in a fitting format or untick the placement."
        }
    return {}


def url_error(url: str) -> str:
    parts = urlsplit(url or "")
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return "The destination must be a web address starting with http:// or https://."
    return ""


def with_utm(url: str, utm: dict) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.startswith("utm_")]
    query += [(f"utm_{key}", value) for key, value in utm.items() if value]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def slug(value: str) -> str:
    return re.sub(r"[^a-z0-9_]+", "-", value.lower()).strip("-")[:40] or "x"


def ad_name(pattern: str, *, brand: str, goal: str, template: str, fmt: str, day: date, campaign: str) -> str:
    values = {
        "brand": brand or "brand",
        "goal": goal,
        "template": template,
        "format": fmt,
        "date": day.strftime("%Y%m%d"),
        "campaign": campaign,
    }
    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), m.group(0))), pattern)[:200]
