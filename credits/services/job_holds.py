"""The hold ledger the job runner (`craftplatform.jobs`) settles jobs' holds through.

Registered in `CreditsConfig.ready`. Capture and release go through the ledger's own functions
(one row lock each, one ledger entry per capture); only `extend` is new, and it only ever moves a
held hold's expiry later.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Greatest
from django.utils import timezone

from craftplatform.jobs.holds import HoldsNotHeld
from credits.constants import HoldStatus
from credits.models import CreditHold
from credits.services.holds import capture_hold, release_hold


class CreditHoldLedger:
    def capture_all(self, hold_ids: Sequence[Any]) -> int:
        """Capture every hold; raises HoldsNotHeld if one was not held (run inside the caller's
        transaction, so the captures before it roll back with it)."""
        captured = 0
        with transaction.atomic():
            for hold_id in hold_ids:
                # The job's row lock keeps other settlers of this job out; the hold sweep and staff
                # release take the hold's lock, which capture_hold waits for and then re-checks.
                if not CreditHold.objects.filter(pk=hold_id, status=HoldStatus.HELD).exists():
                    raise HoldsNotHeld(str(hold_id))
                hold = capture_hold(hold_id=hold_id)
                if hold.status != HoldStatus.CAPTURED:
                    raise HoldsNotHeld(str(hold_id))
                captured += hold.captured_amount or 0
        return captured

    def release_all(self, hold_ids: Sequence[Any]) -> None:
        for hold_id in hold_ids:
            release_hold(hold_id=hold_id)

    def all_held(self, hold_ids: Sequence[Any]) -> bool:
        held = CreditHold.objects.filter(pk__in=list(hold_ids), status=HoldStatus.HELD).count()
        return held == len(set(hold_ids))

    def extend(self, hold_ids: Sequence[Any], until: datetime) -> None:
        if hold_ids:
            CreditHold.objects.filter(pk__in=list(hold_ids), status=HoldStatus.HELD).update(
                expires_at=Greatest("expires_at", Value(until)), updated_at=timezone.now()
            )
