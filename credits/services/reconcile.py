"""Reconciliation: the ledger is the truth, and every balance must agree with it. Reports; never fixes."""

from dataclasses import dataclass

from django.db.models import Count, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from credits.constants import HoldStatus, PaymentStatus
from credits.models import CreditAccount, CreditHold, CreditTransaction, Payment


@dataclass(frozen=True)
class Discrepancy:
    account_id: str
    user: str
    kind: str
    recorded: int
    expected: int

    def __str__(self) -> str:
        if self.kind == "payment":
            return (
                f"account {self.account_id} ({self.user}): a completed payment of {self.expected} credits "
                f"has no grant in the ledger"
            )
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
    found.extend(_payments_without_grants())
    return found


def _payments_without_grants() -> list[Discrepancy]:
    """Completed Stripe payments that bought credits but whose grant is missing from the ledger."""
    paid = Payment.objects.filter(
        status__in=[PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED], credits__gt=0
    ).filter(Q(grant__isnull=True) | ~Q(grant__account=F("account")) | ~Q(grant__amount=F("credits")))
    return [
        Discrepancy(str(payment.account_id), str(payment.user or "deleted user"), "payment", 0, payment.credits)
        for payment in paid.select_related("user")
    ]


def account_count() -> int:
    return int(CreditAccount.objects.aggregate(n=Count("pk"))["n"])
