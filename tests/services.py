"""Skipping for want of something, unless this run must have everything (CI: CRAFTADS_REQUIRE_SERVICES=1).

A skipped test proves nothing: where CI promises the services, a route or a lock that is missing
is a failure to look at, not a quiet skip.
"""

import os

import pytest


def services_required() -> bool:
    return os.environ.get("CRAFTADS_REQUIRE_SERVICES") == "1"


def skip_unless_required(reason: str) -> None:
    """pytest.skip(reason), or pytest.fail(reason) when CRAFTADS_REQUIRE_SERVICES=1."""
    if services_required():
        pytest.fail(f"{reason} (CRAFTADS_REQUIRE_SERVICES=1: this must not be skipped)")
    pytest.skip(reason)
