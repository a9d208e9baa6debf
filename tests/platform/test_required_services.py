"""A test that would skip for want of a route, a lock or a service fails instead when CI requires them."""

from pathlib import Path

import pytest

from tests.services import skip_unless_required


def test_a_missing_route_skips_on_a_plain_machine(monkeypatch):
    monkeypatch.delenv("CRAFTADS_REQUIRE_SERVICES", raising=False)
    with pytest.raises(pytest.skip.Exception, match="generations:status is not built"):
        skip_unless_required("generations:status is not built")


def test_a_missing_route_or_a_taken_lock_fails_when_services_are_required(monkeypatch):
    monkeypatch.setenv("CRAFTADS_REQUIRE_SERVICES", "1")
    with pytest.raises(pytest.fail.Exception, match="must not be skipped"):
        skip_unless_required("another test run kept Redis database 14")


def test_no_test_calls_pytest_skip_directly_outside_the_browser_setup():
    tests = Path(__file__).resolve().parents[1]
    offenders = [
        str(path.relative_to(tests))
        for path in tests.rglob("*.py")
        if "pytest.skip(" in path.read_text(encoding="utf-8")
        and path.name not in {"services.py", "test_required_services.py"}
        and path.parent.name != "e2e"  # no Chromium is not a missing service: see tests/e2e/conftest.py
    ]
    assert offenders == []
