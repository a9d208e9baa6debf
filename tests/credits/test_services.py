import pytest
from django.utils import timezone

from accounts import services as account_services
from accounts.models import AuditEvent
from credits import services
from credits.constants import HoldStatus, TransactionType
from credits.errors import CreditError, IdempotencyConflict, InsufficientCredits, OperationNotAllowed
from credits.models import CreditAccount, CreditHold, CreditTransaction, PricingRule
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _grant(user, amount, key=None):
    return services.grant_credits(
        user=user, amount=amount, type=TransactionType.PROMOTION, idempotency_key=key or f"test:{user.pk}:{amount}"
    )


def _account(user) -> CreditAccount:
    return CreditAccount.objects.get(user=user)


def test_a_new_account_opens_with_the_signup_bonus(settings, user):
    settings.CREDITS_SIGNUP_BONUS = 15
    account = services.get_or_open_account(user=user)
    assert (account.balance, account.reserved) == (15, 0)
    entry = CreditTransaction.objects.get(account=account)
    assert (entry.type, entry.amount, entry.balance_before, entry.balance_after) == ("signup_bonus", 15, 0, 15)
    services.get_or_open_account(user=user)
    assert CreditTransaction.objects.filter(account=account).count() == 1


def test_signing_up_opens_the_account(client, settings):
    settings.CREDITS_SIGNUP_BONUS = 20
    client.post(
        "/accounts/signup/",
        {"email": "fresh@example.com", "password1": "a-fine-password-12", "password2": "a-fine-password-12"},
    )
    assert CreditAccount.objects.get(user__email="fresh@example.com").balance == 20


def test_the_same_grant_key_grants_once_and_a_different_request_is_a_conflict(user):
    first = _grant(user, 50, key="stripe:pi_1")
    again = _grant(user, 50, key="stripe:pi_1")
    assert first.pk == again.pk
    with pytest.raises(IdempotencyConflict):
        _grant(user, 60, key="stripe:pi_1")
    assert _account(user).balance == 20 + 50


def test_spend_takes_only_available_credits(user):
    hold = services.hold_credits(user=user, amount=15, reference_type="job", reference_id="1")
    with pytest.raises(InsufficientCredits) as refused:
        services.spend_credits(user=user, amount=6, reference_type="job", reference_id="2")
    assert (refused.value.needed, refused.value.available) == (6, 5)
    assert "needs 6 credits and you have 5 available" in refused.value.message
    services.spend_credits(user=user, amount=5, reference_type="job", reference_id="2")
    account = _account(user)
    assert (account.balance, account.reserved, account.available) == (15, 15, 0)
    assert hold.status == HoldStatus.HELD


def test_a_partial_capture_charges_what_was_used_and_returns_the_rest(user):
    hold = services.hold_credits(user=user, amount=8, reference_type="generation", reference_id="g1")
    services.capture_hold(hold_id=hold.pk, amount=5)
    account = _account(user)
    assert (account.balance, account.reserved) == (15, 0)
    hold.refresh_from_db()
    assert (hold.status, hold.captured_amount) == ("captured", 5)
    assert hold.transaction.amount == -5


def test_a_hold_resolves_once(user):
    hold = services.hold_credits(user=user, amount=4, reference_type="generation", reference_id="g1")
    services.release_hold(hold_id=hold.pk)
    services.capture_hold(hold_id=hold.pk)  # capture after release: nothing happens
    services.release_hold(hold_id=hold.pk)
    account = _account(user)
    assert (account.balance, account.reserved) == (20, 0)
    assert not CreditTransaction.objects.filter(type="usage").exists()

    other = services.hold_credits(user=user, amount=4, reference_type="generation", reference_id="g2")
    services.capture_hold(hold_id=other.pk)
    services.capture_hold(hold_id=other.pk)
    services.release_hold(hold_id=other.pk)
    assert _account(user).balance == 16
    assert CreditTransaction.objects.filter(type="usage").count() == 1


def test_a_hold_with_the_same_key_is_returned_not_taken_twice(user):
    a = services.hold_credits(user=user, amount=3, reference_type="g", reference_id="1", idempotency_key="gen-1")
    b = services.hold_credits(user=user, amount=3, reference_type="g", reference_id="1", idempotency_key="gen-1")
    assert a.pk == b.pk
    assert _account(user).reserved == 3
    with pytest.raises(IdempotencyConflict):
        services.hold_credits(user=user, amount=4, reference_type="g", reference_id="1", idempotency_key="gen-1")


def test_expired_holds_are_released_by_the_sweep(user):
    hold = services.hold_credits(user=user, amount=5, reference_type="g", reference_id="1")
    CreditHold.objects.filter(pk=hold.pk).update(expires_at=timezone.now() - timezone.timedelta(minutes=1))
    assert services.release_expired_holds() == 1
    assert _account(user).reserved == 0
    assert services.release_expired_holds() == 0


def test_refunds_never_exceed_what_was_used(user):
    usage = services.spend_credits(user=user, amount=6, reference_type="g", reference_id="1")
    services.refund_usage(transaction_id=usage.pk, amount=4, idempotency_key="refund-1")
    services.refund_usage(transaction_id=usage.pk, amount=4, idempotency_key="refund-1")  # replay: once
    with pytest.raises(CreditError, match="At most 2 credits"):
        services.refund_usage(transaction_id=usage.pk, amount=3, idempotency_key="refund-2")
    services.refund_usage(transaction_id=usage.pk, idempotency_key="refund-3", amount=2)
    assert _account(user).balance == 20


def test_take_back_stops_at_what_is_available_and_reports_the_shortfall(user):
    services.hold_credits(user=user, amount=5, reference_type="g", reference_id="1")
    result = services.take_back_credits(
        user=user, amount=30, type=TransactionType.PAYMENT_REVERSAL, idempotency_key="charge:ch_1:refund"
    )
    assert (result.taken, result.shortfall) == (15, 15)
    account = _account(user)
    assert (account.balance, account.reserved) == (5, 5)
    replay = services.take_back_credits(
        user=user, amount=30, type=TransactionType.PAYMENT_REVERSAL, idempotency_key="charge:ch_1:refund"
    )
    assert (replay.taken, replay.shortfall) == (15, 15)
    assert _account(user).balance == 5


def test_gift_moves_credits_between_users(user):
    friend = UserFactory()
    sent, received = services.gift_credits(sender=user, recipient=friend, amount=7, idempotency_key="gift-1")
    assert (sent.amount, received.amount) == (-7, 7)
    assert (_account(user).balance, _account(friend).balance) == (13, 27)
    with pytest.raises(InsufficientCredits):
        services.gift_credits(sender=user, recipient=friend, amount=100, idempotency_key="gift-2")
    with pytest.raises(CreditError):
        services.gift_credits(sender=user, recipient=user, amount=1, idempotency_key="gift-3")


def test_quote_prices_by_tier_and_says_why_an_action_is_refused(user):
    priced = services.quote(user=user, operation="generate_format", quantity=4)
    assert (priced.unit_cost, priced.total, priced.allowed) == (1, 4, True)
    priced = services.quote(user=user, operation="ai_image", quantity=6)
    assert (priced.total, priced.allowed, priced.needs_credits) == (24, False, 4)
    assert priced.reason == "This needs 24 credits and you have 20 available."
    PricingRule.objects.filter(operation="vectorize").update(minimum_tier="pro")
    assert services.quote(user=user, operation="vectorize").reason == "This needs the Pro plan or higher."
    PricingRule.objects.filter(operation="upscale").update(enabled=False)
    assert not services.quote(user=user, operation="upscale").allowed


def test_daily_limit_counts_held_and_captured_but_not_released(user):
    PricingRule.objects.filter(operation="generate_format").update(daily_limit=5)
    first, _ = services.hold_for_operation(
        user=user, operation="generate_format", quantity=4, reference_type="g", reference_id="1"
    )
    with pytest.raises(OperationNotAllowed, match="limit of 5"):
        services.hold_for_operation(
            user=user, operation="generate_format", quantity=2, reference_type="g", reference_id="2"
        )
    services.release_hold(hold_id=first.pk)
    services.hold_for_operation(
        user=user, operation="generate_format", quantity=2, reference_type="g", reference_id="3"
    )


def test_rate_limit_per_minute(user):
    PricingRule.objects.filter(operation="upscale").update(rate_limit_per_minute=2)
    for n in range(2):
        services.hold_for_operation(
            user=user, operation="upscale", quantity=1, reference_type="op", reference_id=str(n)
        )
    with pytest.raises(OperationNotAllowed, match="Too many requests"):
        services.hold_for_operation(user=user, operation="upscale", quantity=1, reference_type="op", reference_id="9")


def test_admin_adjustment_is_all_or_nothing_and_audited(user, staff_user):
    services.admin_adjust_credits(actor=staff_user, user=user, amount=10, reason="Goodwill", idempotency_key="adj-1")
    assert _account(user).balance == 30
    with pytest.raises(CreditError, match="Only 30 credits"):
        services.admin_adjust_credits(actor=staff_user, user=user, amount=-40, reason="Oops", idempotency_key="adj-2")
    assert _account(user).balance == 30
    assert AuditEvent.objects.filter(action="credits.adjusted").count() == 1
    entry = CreditTransaction.objects.get(idempotency_key="adj-1")
    assert (entry.actor_id, entry.description) == (staff_user.pk, "Goodwill")


def test_deleting_a_user_keeps_the_ledger_anonymised(user, django_capture_on_commit_callbacks):
    services.spend_credits(user=user, amount=3, reference_type="g", reference_id="1")
    account_id = _account(user).pk
    with django_capture_on_commit_callbacks(execute=True):
        account_services.delete_account(user=user)
    account = CreditAccount.objects.get(pk=account_id)
    assert account.user is None
    assert account.transactions.count() == 2
