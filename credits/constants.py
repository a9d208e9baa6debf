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


class Tier(models.TextChoices):
    FREE = "free", "Free"
    STARTER = "starter", "Starter"
    PRO = "pro", "Pro"
    BUSINESS = "business", "Business"


TIER_ORDER = [Tier.FREE, Tier.STARTER, Tier.PRO, Tier.BUSINESS]
