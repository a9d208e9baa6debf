"""Every change to credits goes through these functions (DESIGN.md section 5)."""

from credits.services import billing, plans, webhooks  # noqa: F401
from credits.services.ledger import (  # noqa: F401
    TakeBackResult,
    admin_adjust_credits,
    capture_hold,
    get_or_open_account,
    gift_credits,
    grant_credits,
    hold_credits,
    refund_usage,
    release_expired_holds,
    release_hold,
    spend_credits,
    take_back_credits,
)
from credits.services.pricing import Quote, hold_for_operation, quote  # noqa: F401
