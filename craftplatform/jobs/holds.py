"""The credit holds a job settles, behind a small port so `craftplatform` does not import `credits`.

`credits` registers its implementation when the app loads (`CreditsConfig.ready`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol


class HoldsNotHeld(Exception):
    """A hold of the job was released (expired, or by staff) or captured before completion."""


class HoldLedger(Protocol):
    def capture_all(self, hold_ids: Sequence[Any]) -> int:
        """Capture every hold, in the caller's transaction; HoldsNotHeld if any is not held."""
        ...

    def release_all(self, hold_ids: Sequence[Any]) -> None:
        """Release every hold that is still held."""
        ...

    def all_held(self, hold_ids: Sequence[Any]) -> bool:
        """Whether every hold is still held."""
        ...

    def extend(self, hold_ids: Sequence[Any], until: datetime) -> None:
        """Held holds expire no sooner than `until`."""
        ...


class _NoLedger:
    """Before `credits` registers (or in a project without it): a job with holds cannot settle."""

    def _refuse(self, hold_ids: Sequence[Any]) -> None:
        if hold_ids:
            raise RuntimeError("No hold ledger is registered; is the credits app installed?")

    def capture_all(self, hold_ids: Sequence[Any]) -> int:
        self._refuse(hold_ids)
        return 0

    def release_all(self, hold_ids: Sequence[Any]) -> None:
        self._refuse(hold_ids)

    def all_held(self, hold_ids: Sequence[Any]) -> bool:
        self._refuse(hold_ids)
        return True

    def extend(self, hold_ids: Sequence[Any], until: datetime) -> None:
        self._refuse(hold_ids)


_ledger: HoldLedger = _NoLedger()


def register_hold_ledger(ledger: HoldLedger) -> None:
    global _ledger
    _ledger = ledger


def hold_ledger() -> HoldLedger:
    return _ledger
