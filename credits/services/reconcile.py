"""Reconciliation: the ledger is the truth, and every balance must agree with it. Reports; never fixes."""

from dataclasses import dataclass

from django.db.models import Count, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from credits.constants import HoldStatus
from credits.models import CreditAccount, CreditHold, CreditTransaction


@dataclass(frozen=True)
class Discrepancy:
    account_id: str
    user: str
    kind: str
    recorded: int
    expected: int

    def __str__(self) -> str:
        source = "its ledger sums to" if self.kind == "balance" else "its open holds sum to"
        return (
            f"account {self.account_id} ({self.user}): {self.kind} is {self.recorded}, "
            f"{source} {self.expected} (difference {self.recorded - self.expected:+d})"
        )


def find_discrepancies() -> list[Discrepancy]:
    """Every account whose balance differs from its ledger sum, or whose reserved differs from its open holds."""
    ledger_sum = (
        CreditTransaction.objects.filter(account=OuterRef("pk"))
        .values("account")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    open_holds = (
        CreditHold.objects.filter(account=OuterRef("pk"), status=HoldStatus.HELD)
        .values("account")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    accounts = (
        CreditAccount.objects.annotate(
            ledger_total=Coalesce(Subquery(ledger_sum), Value(0)),
            held_total=Coalesce(Subquery(open_holds), Value(0)),
        )
        .filter(~Q(balance=F("ledger_total")) | ~Q(reserved=F("held_total")))
        .select_related("user")
    )
    found = []
    for account in accounts:
        label = str(account.user) if account.user else "deleted user"
        if account.balance != account.ledger_total:
            found.append(Discrepancy(str(account.pk), label, "balance", account.balance, account.ledger_total))
        if account.reserved != account.held_total:
            found.append(Discrepancy(str(account.pk), label, "reserved", account.reserved, account.held_total))
    return found


def account_count() -> int:
    return CreditAccount.objects.aggregate(n=Count("pk"))["n"]
