from django.conf import settings
from django.db import models
from django.db.models import F, Q

from craftplatform.models import MutableModel, TimestampedModel
from credits.constants import (
    BillingInterval,
    EventStatus,
    HoldStatus,
    Operation,
    PaymentKind,
    PaymentStatus,
    Rollover,
    SubscriptionStatus,
    Tier,
    TransactionType,
)


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
    # The free plan's daily credits: granted on the first paid action of a day, spent
    # before other credits, and what is left of them expires when the next day's arrive.
    daily_allowance = models.PositiveIntegerField(default=0)
    daily_used = models.PositiveIntegerField(default=0)
    daily_reset_date = models.DateField(null=True, blank=True)
    stripe_customer_id = models.CharField(max_length=255, null=True, blank=True, unique=True)

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
            # The daily rollups read one day (or the ~50 hours of every zone's day) of the whole ledger.
            models.Index(fields=["created_at"], name="credits_tx_created"),
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
        # 0 is a free action an operator may price later (campaign_publish ships at 0).
        constraints = [models.CheckConstraint(condition=Q(base_cost__gte=0), name="credits_pricing_cost_not_negative")]

    def __str__(self) -> str:
        return f"{self.get_operation_display()}: {self.base_cost} credits"


class CreditShortfall(TimestampedModel):
    """Credits a take-back (refund, dispute) could not take because the user had already spent them."""

    account = models.ForeignKey(CreditAccount, on_delete=models.PROTECT, related_name="shortfalls")
    amount = models.PositiveIntegerField()
    requested = models.PositiveIntegerField()
    type = models.CharField(max_length=32, choices=TransactionType.choices)
    reference_type = models.CharField(max_length=64, blank=True)
    reference_id = models.CharField(max_length=64, blank=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    request_fingerprint = models.CharField(max_length=64, blank=True)
    transaction = models.OneToOneField(
        CreditTransaction, null=True, blank=True, on_delete=models.PROTECT, related_name="shortfall"
    )
    description = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="credits_shortfall_amount_positive")]

    def __str__(self) -> str:
        return f"Shortfall of {self.amount} credits"


class CreditPackage(MutableModel):
    """A pack of credits bought once through Stripe Checkout."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    credits = models.PositiveIntegerField()
    bonus_credits = models.PositiveIntegerField(default=0)
    price = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, default="usd")
    is_active = models.BooleanField(default=True)
    is_featured = models.BooleanField(default=False)
    badge = models.CharField(max_length=40, blank=True, help_text="A short label such as “Best value”.")
    display_order = models.PositiveIntegerField(default=0)
    promotion_starts_at = models.DateTimeField(null=True, blank=True)
    promotion_ends_at = models.DateTimeField(null=True, blank=True)
    stripe_product_id = models.CharField(max_length=255, blank=True)
    stripe_price_id = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["display_order", "price"]
        indexes = [
            models.Index(fields=["is_active", "display_order"], name="credits_package_active_order"),
            models.Index(fields=["promotion_starts_at", "promotion_ends_at"], name="credits_package_promotion"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(credits__gt=0), name="credits_package_credits_positive"),
            models.CheckConstraint(condition=Q(price__gt=0), name="credits_package_price_positive"),
            models.CheckConstraint(
                condition=Q(promotion_starts_at__isnull=True)
                | Q(promotion_ends_at__isnull=True)
                | Q(promotion_ends_at__gt=F("promotion_starts_at")),
                name="credits_package_promotion_window",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.total_credits} credits)"

    @property
    def total_credits(self) -> int:
        return self.credits + self.bonus_credits

    @property
    def price_per_credit(self):
        return self.price / self.total_credits


class SubscriptionPlan(MutableModel):
    """A plan: a price per period, the credits each period brings, and what the plan allows."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True)
    tier = models.CharField(max_length=16, choices=Tier.choices)
    description = models.TextField(blank=True)
    price = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    currency = models.CharField(max_length=3, default="usd")
    interval = models.CharField(max_length=8, choices=BillingInterval.choices, default=BillingInterval.MONTH)
    credits_per_period = models.PositiveIntegerField(default=0)
    daily_allowance = models.PositiveIntegerField(
        default=0, help_text="Free credits each day, spent first; what is left expires at the next day's."
    )
    rollover = models.CharField(max_length=16, choices=Rollover.choices, default=Rollover.EXPIRE)
    rollover_cap = models.PositiveIntegerField(
        null=True, blank=True, help_text="Most credits carried into the next period (rollover plans)."
    )
    has_watermark = models.BooleanField(default=False)
    storage_quota_mb = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Storage for uploads and results, in MB (0: no limit). Blank: STORAGE_QUOTA_FREE_MB on the "
        "free tier, STORAGE_QUOTA_PAID_MB on paid ones.",
    )
    features = models.JSONField(default=list, blank=True, help_text="Lines shown on the plans page.")
    is_active = models.BooleanField(default=True)
    is_featured = models.BooleanField(default=False)
    display_order = models.PositiveIntegerField(default=0)
    stripe_product_id = models.CharField(max_length=255, blank=True)
    stripe_price_id = models.CharField(max_length=255, blank=True, db_index=True)

    class Meta:
        ordering = ["display_order", "price"]
        indexes = [models.Index(fields=["is_active", "interval"], name="credits_plan_active_interval")]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="credits_plan_price_not_negative"),
            models.CheckConstraint(
                condition=~Q(rollover=Rollover.ROLLOVER) | Q(rollover_cap__isnull=False),
                name="credits_plan_rollover_has_cap",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_free(self) -> bool:
        return self.price == 0


class UserSubscription(MutableModel):
    """A user's Stripe subscription, mirrored from Stripe's own state."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="subscriptions"
    )
    account = models.ForeignKey(CreditAccount, on_delete=models.PROTECT, related_name="subscriptions")
    plan = models.ForeignKey(SubscriptionPlan, on_delete=models.PROTECT, related_name="subscriptions")
    status = models.CharField(max_length=24, choices=SubscriptionStatus.choices)
    stripe_subscription_id = models.CharField(max_length=255, unique=True)
    stripe_customer_id = models.CharField(max_length=255, blank=True)
    current_period_start = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    canceled_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # Plan credits that carried over into the current period (rollover plans).
    carried_credits = models.PositiveIntegerField(default=0)
    # The plan credits of the current period: granted with its invoice, spent first.
    period_credits = models.PositiveIntegerField(default=0)
    last_invoice_id = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["account", "status"], name="credits_sub_account_status"),
            models.Index(fields=["status", "current_period_end"], name="credits_sub_status_end"),
        ]

    def __str__(self) -> str:
        return f"{self.plan} ({self.get_status_display()})"


class SubscriptionChange(TimestampedModel):
    """The history of a subscription: each change of plan or status, and what caused it."""

    subscription = models.ForeignKey(UserSubscription, on_delete=models.CASCADE, related_name="changes")
    from_plan = models.ForeignKey(SubscriptionPlan, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_plan = models.ForeignKey(SubscriptionPlan, on_delete=models.PROTECT, related_name="+")
    from_status = models.CharField(max_length=24, choices=SubscriptionStatus.choices, blank=True)
    to_status = models.CharField(max_length=24, choices=SubscriptionStatus.choices)
    stripe_event_id = models.CharField(max_length=255, blank=True)
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.from_status or 'new'} → {self.to_status}"


class Payment(MutableModel):
    """Money received (or expected) through Stripe: a pack bought at Checkout, or a plan's invoice."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="payments"
    )
    account = models.ForeignKey(CreditAccount, on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(max_length=16, choices=PaymentKind.choices)
    provider = models.CharField(max_length=32, default="stripe")
    # The Checkout session (packs) or the invoice (plans) this payment is: unique, so a replay finds it.
    provider_payment_id = models.CharField(max_length=255, unique=True)
    payment_intent_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    package = models.ForeignKey(CreditPackage, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    subscription = models.ForeignKey(
        UserSubscription, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=24, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    credits = models.PositiveIntegerField(default=0)
    grant = models.OneToOneField(
        CreditTransaction, null=True, blank=True, on_delete=models.PROTECT, related_name="payment"
    )
    amount_refunded = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    credits_taken_back = models.PositiveIntegerField(default=0)
    invoice_url = models.URLField(max_length=500, blank=True)
    receipt_sent_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    failure_message = models.CharField(max_length=255, blank=True)
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["account", "created_at"], name="credits_payment_account"),
            models.Index(fields=["status", "created_at"], name="credits_payment_status"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="credits_payment_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(amount_refunded__lte=F("amount")), name="credits_payment_refund_within_amount"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.currency.upper()} ({self.get_status_display()})"


class PaymentReversal(MutableModel):
    """One refund or dispute of a payment, keyed by its Stripe object: the credits it took back, and gave back.

    Reversals add up (capped at what was paid); a dispute that is won, or a refund that
    fails, stops counting and its credits are given back.
    """

    class Kind(models.TextChoices):
        REFUND = "refund", "Refund"
        DISPUTE = "dispute", "Dispute"

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="reversals")
    stripe_id = models.CharField(max_length=255, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    stripe_status = models.CharField(max_length=32)
    counts = models.BooleanField(default=True)
    # Credits this reversal accounts for (what it took back plus any shortfall it recorded).
    credits = models.PositiveIntegerField(default=0)
    taken_back = models.OneToOneField(
        CreditTransaction, null=True, blank=True, on_delete=models.PROTECT, related_name="reversal_taken"
    )
    given_back = models.OneToOneField(
        CreditTransaction, null=True, blank=True, on_delete=models.PROTECT, related_name="reversal_given"
    )

    class Meta:
        ordering = ["created_at"]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="credits_reversal_amount_not_negative")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.stripe_id} ({self.stripe_status})"


class StripeEvent(TimestampedModel):
    """A webhook event as Stripe sent it: stored once by its id, processed once."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    livemode = models.BooleanField(default=False)
    api_version = models.CharField(max_length=40, blank=True)
    stripe_created = models.DateTimeField(null=True, blank=True)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=EventStatus.choices, default=EventStatus.RECEIVED)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["type", "created_at"], name="credits_event_type"),
            models.Index(fields=["status", "created_at"], name="credits_event_status"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
