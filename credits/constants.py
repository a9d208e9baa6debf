from django.db import models


class TransactionType(models.TextChoices):
    PURCHASE = "purchase", "Credit pack purchase"
    SUBSCRIPTION = "subscription", "Plan credits"
    BONUS = "bonus", "Bonus"
    SIGNUP_BONUS = "signup_bonus", "Welcome credits"
    PROMOTION = "promotion", "Promotion"
    REFERRAL = "referral", "Referral"
    ADMIN_ADJUSTMENT = "admin_adjustment", "Adjustment by staff"
    USAGE = "usage", "Usage"
    REFUND = "refund", "Refund of usage"
    EXPIRY = "expiry", "Expired credits"
    GIFT_SENT = "gift_sent", "Gift sent"
    GIFT_RECEIVED = "gift_received", "Gift received"
    PAYMENT_REVERSAL = "payment_reversal", "Payment refunded or disputed"
    DAILY_ALLOWANCE = "daily_allowance", "Daily free credits"
    REVERSAL_UNDONE = "reversal_undone", "Dispute won or refund failed: credits returned"


# Grants that come from outside a user's own action carry an idempotency key.
GRANT_TYPES = {
    TransactionType.PURCHASE,
    TransactionType.SUBSCRIPTION,
    TransactionType.BONUS,
    TransactionType.SIGNUP_BONUS,
    TransactionType.PROMOTION,
    TransactionType.REFERRAL,
    TransactionType.ADMIN_ADJUSTMENT,
    TransactionType.DAILY_ALLOWANCE,
    TransactionType.REVERSAL_UNDONE,
}


class HoldStatus(models.TextChoices):
    HELD = "held", "Held"
    CAPTURED = "captured", "Captured"
    RELEASED = "released", "Released"


class Operation(models.TextChoices):
    GENERATE_FORMAT = "generate_format", "Generate one format"
    VARIATION = "variation", "Variation"
    UPSCALE = "upscale", "Upscale"
    REMOVE_BACKGROUND = "remove_background", "Remove background"
    VECTORIZE = "vectorize", "Vectorize"
    AI_COPY = "ai_copy", "AI copy variants"
    AI_IMAGE = "ai_image", "AI image"
    # Campaigns: publishing one campaign to Meta (default 0 credits; operators may charge).
    CAMPAIGN_PUBLISH = "campaign_publish", "Publish a campaign to Meta"


class Tier(models.TextChoices):
    FREE = "free", "Free"
    STARTER = "starter", "Starter"
    PRO = "pro", "Pro"
    BUSINESS = "business", "Business"


TIER_ORDER = [Tier.FREE, Tier.STARTER, Tier.PRO, Tier.BUSINESS]


class BillingInterval(models.TextChoices):
    MONTH = "month", "Monthly"
    YEAR = "year", "Yearly"


class Rollover(models.TextChoices):
    EXPIRE = "expire", "Unused credits expire at the end of each period"
    ROLLOVER = "rollover", "Unused credits roll over, up to a cap"


class SubscriptionStatus(models.TextChoices):
    """Stripe's subscription statuses, which we mirror."""

    INCOMPLETE = "incomplete", "Waiting for the first payment"
    INCOMPLETE_EXPIRED = "incomplete_expired", "First payment never made"
    TRIALING = "trialing", "Trial"
    ACTIVE = "active", "Active"
    PAST_DUE = "past_due", "Payment overdue"
    UNPAID = "unpaid", "Unpaid"
    CANCELED = "canceled", "Cancelled"
    PAUSED = "paused", "Paused"


# A subscription in these states gives its plan's tier, credits and (no) watermark.
LIVE_SUBSCRIPTION_STATUSES = {SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING, SubscriptionStatus.PAST_DUE}


class PaymentKind(models.TextChoices):
    CREDIT_PACK = "credit_pack", "Credit pack"
    SUBSCRIPTION = "subscription", "Plan payment"


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "Waiting for payment"
    SUCCEEDED = "succeeded", "Paid"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Checkout abandoned"
    PARTIALLY_REFUNDED = "partially_refunded", "Partly refunded"
    REFUNDED = "refunded", "Refunded"


class EventStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSED = "processed", "Processed"
    IGNORED = "ignored", "Not a type we handle"
    FAILED = "failed", "Failed (Stripe will retry)"
