from django.conf import settings
from django.db import models
from django.db.models import F, Q

from craftplatform.models import MutableModel, TimestampedModel
from credits.constants import HoldStatus, Operation, Tier, TransactionType


class CreditAccount(MutableModel):
    """A user's credits. `balance` always equals the sum of the account's ledger entries."""

    # SET_NULL: the ledger is financial history and outlives a deleted user, anonymised.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="credit_account"
    )
    balance = models.IntegerField(default=0)
    reserved = models.IntegerField(default=0)
    lifetime_granted = models.IntegerField(default=0)
    lifetime_spent = models.IntegerField(default=0)
    lifetime_purchased = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="credits_account_balance_not_negative"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="credits_account_reserved_not_negative"),
            models.CheckConstraint(condition=Q(reserved__lte=F("balance")), name="credits_account_reserved_covered"),
        ]

    def __str__(self) -> str:
        return f"Credits of {self.user or 'a deleted user'}"

    @property
    def available(self) -> int:
        return self.balance - self.reserved


class CreditTransaction(TimestampedModel):
    """One ledger entry. Append-only: nothing updates or deletes a row (a trigger enforces it on PostgreSQL)."""

    account = models.ForeignKey(CreditAccount, on_delete=models.PROTECT, related_name="transactions")
    type = models.CharField(max_length=32, choices=TransactionType.choices)
    amount = models.IntegerField()
    balance_before = models.IntegerField()
    balance_after = models.IntegerField()
    reference_type = models.CharField(max_length=64, blank=True)
    reference_id = models.CharField(max_length=64, blank=True)
    operation = models.CharField(max_length=32, choices=Operation.choices, blank=True)
    idempotency_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    request_fingerprint = models.CharField(max_length=64, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    description = models.CharField(max_length=255, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    # Who made the change (staff, the system). Not a foreign key: a ledger row is never
    # updated, not even to forget an actor whose account was deleted.
    actor_id = models.UUIDField(null=True, blank=True)
    actor_label = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="credits_transaction_amount_not_zero"),
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="credits_transaction_balance_not_negative"),
            models.CheckConstraint(
                condition=Q(balance_after=F("balance_before") + F("amount")), name="credits_transaction_arithmetic"
            ),
        ]
        indexes = [
            models.Index(fields=["account", "created_at"], name="credits_tx_account_created"),
            models.Index(fields=["type", "created_at"], name="credits_tx_type_created"),
            models.Index(fields=["reference_type", "reference_id"], name="credits_tx_reference"),
        ]

    def __str__(self) -> str:
        return f"{self.amount:+d} {self.get_type_display()}"


class CreditHold(MutableModel):
    """Credits reserved for a running job, then captured (charged) or released, exactly once."""

    account = models.ForeignKey(CreditAccount, on_delete=models.PROTECT, related_name="holds")
    amount = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=HoldStatus.choices, default=HoldStatus.HELD)
    captured_amount = models.PositiveIntegerField(null=True, blank=True)
    transaction = models.OneToOneField(
        CreditTransaction, null=True, blank=True, on_delete=models.PROTECT, related_name="hold"
    )
    reference_type = models.CharField(max_length=64, blank=True)
    reference_id = models.CharField(max_length=64, blank=True)
    operation = models.CharField(max_length=32, choices=Operation.choices, blank=True)
    quantity = models.PositiveIntegerField(default=1)
    idempotency_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    description = models.CharField(max_length=255, blank=True)
    expires_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="credits_hold_amount_positive"),
            models.CheckConstraint(
                condition=Q(captured_amount__isnull=True) | Q(captured_amount__lte=F("amount")),
                name="credits_hold_capture_within_amount",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="credits_hold_status_expiry"),
            models.Index(fields=["account", "status"], name="credits_hold_account_status"),
            models.Index(fields=["reference_type", "reference_id"], name="credits_hold_reference"),
            models.Index(fields=["account", "operation", "created_at"], name="credits_hold_operation_day"),
        ]

    def __str__(self) -> str:
        return f"Hold of {self.amount} ({self.status})"


def default_tier_multipliers() -> dict:
    return {Tier.FREE: 1.0, Tier.STARTER: 0.9, Tier.PRO: 0.8, Tier.BUSINESS: 0.7}


class PricingRule(MutableModel):
    """What an operation costs, per plan tier, and how often it may be done."""

    operation = models.CharField(max_length=32, choices=Operation.choices, unique=True)
    base_cost = models.PositiveIntegerField()
    tier_multipliers = models.JSONField(default=default_tier_multipliers, blank=True)
    daily_limit = models.PositiveIntegerField(null=True, blank=True, help_text="Per user per day; empty: no limit.")
    rate_limit_per_minute = models.PositiveIntegerField(null=True, blank=True)
    minimum_tier = models.CharField(max_length=16, choices=Tier.choices, default=Tier.FREE)
    enabled = models.BooleanField(default=True)
    description = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["operation"]
        indexes = [models.Index(fields=["enabled"], name="credits_pricing_enabled")]
        constraints = [models.CheckConstraint(condition=Q(base_cost__gte=1), name="credits_pricing_cost_positive")]

    def __str__(self) -> str:
        return f"{self.get_operation_display()}: {self.base_cost} credits"
