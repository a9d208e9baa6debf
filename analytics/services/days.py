"""Days as half-open spans of time: UTC days for platform figures, local days for a user's own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True)
class Bounds:
    start: datetime
    end: datetime


def utc_bounds(day: date) -> Bounds:
    start = datetime.combine(day, time.min, tzinfo=UTC)
    return Bounds(start, start + timedelta(days=1))


def local_bounds(day: date, zone: ZoneInfo) -> Bounds:
    # Midnight to midnight in the zone: 23 or 25 hours on the days clocks change.
    return Bounds(
        datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC),
        datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC),
    )


def zone_for(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
