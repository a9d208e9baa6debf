"""Every change to credits goes through these functions (DESIGN.md section 5)."""

from credits.services import billing, plans, webhooks  # noqa: F401
from credits.services.holds import capture_hold, hold_credits, release_expired_holds, release_hold  # noqa: F401
from credits.services.ledger import (  # noqa: F401
    get_or_open_account,
    gift_credits,
    grant_credits,
    refund_usage,
    spend_credits,
)
from credits.services.pricing import Quote, hold_for_operation, quote  # noqa: F401
from credits.services.staff import admin_adjust_credits  # noqa: F401
from credits.services.take_backs import TakeBackResult, take_back_credits  # noqa: F401
