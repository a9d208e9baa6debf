"""A hold, its capture and its release on PostgreSQL: one statement each, writing what the general path writes.

credits/services/hold_statements.py does the usual hold (lock the account, check what is available,
reserve, write the hold), capture (lock account then hold, charge, write the usage entry, settle)
and release in one statement each. These tests hold each to the locked general path column by
column (the hold, the ledger entry and the account), pin the statements a paid job sends, and check
that everything else (a key seen before, too few credits, the day's first paid action, a daily
limit, a resolved hold, a capture of part or nothing) is still answered as before. The concurrency
tests (test_concurrency.py) run the same services from many connections at once.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from credits import services
from credits.constants import HoldStatus, SubscriptionStatus, TransactionType
from credits.errors import CreditError, IdempotencyConflict, InsufficientCredits, OperationNotAllowed
from credits.models import CreditAccount, CreditHold, CreditTransaction, PricingRule, SubscriptionPlan, UserSubscription
from credits.services import holds, plans, pricing, reconcile
from tests.factories import UserFactory

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
HOLD_FIELDS = [field.attname for field in CreditHold._meta.concrete_fields]
ENTRY_FIELDS = [field.attname for field in CreditTransaction._meta.concrete_fields]
ACCOUNT_FIELDS = [
    field.attname for field in CreditAccount._meta.concrete_fields if field.attname not in {"id", "user_id"}
]
# Columns that name the row, its account or its key: the rest must be equal on both paths.
OWN = {"id", "account_id", "transaction_id", "idempotency_key", "reference_id"}


@pytest.fixture(autouse=True, params=[True, False], ids=["prepared", "not prepared"])
def prepared_statements(request, settings):
    """Every test here runs with the hot statements prepared on the server (the default) and without."""
    settings.DATABASE_PREPARED_STATEMENTS = request.param
    return request.param


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


def _row(instance, fields) -> dict:
    return {name: getattr(instance, name) for name in fields}


def _stored_hold(hold: CreditHold) -> dict:
    return _row(CreditHold.objects.get(pk=hold.pk), HOLD_FIELDS)


def _account_row(user) -> dict:
    return _row(CreditAccount.objects.get(user=user), ACCOUNT_FIELDS)


def _without_own(row: dict) -> dict:
    return {name: value for name, value in row.items() if name not in OWN}


def _force_general(_account: CreditAccount) -> None:
    """A check under the lock: the one thing the one-statement hold cannot do, so the general path runs."""


def _hold(user, reference_id: str, *, general: bool = False, **extra) -> CreditHold:
    return services.hold_credits(
        user=user,
        amount=5,
        reference_type="generation",
        reference_id=reference_id,
        operation="generate_format",
        quantity=5,
        description="Ad: generate format × 5",
        idempotency_key=f"generation:{reference_id}",
        ttl=timedelta(minutes=30),
        check=_force_general if general else None,
        **extra,
    )


def _kinds(captured) -> list[str]:
    return [query["sql"].split(None, 1)[0].upper() for query in captured.captured_queries]


@pytest.mark.django_db
@pytest.mark.parametrize("outcome", ["capture", "capture part", "release"])
def test_both_paths_write_the_same_rows_column_by_column(frozen, outcome):
    fast_user, general_user = UserFactory(), UserFactory()
    for someone in (fast_user, general_user):
        services.get_or_open_account(user=someone)

    fast = _hold(fast_user, "fast")
    general = _hold(general_user, "general", general=True)

    # What the call returns is the row as stored, and both holds are the same but for their names.
    assert _row(fast, HOLD_FIELDS) == _stored_hold(fast)
    assert _row(general, HOLD_FIELDS) == _stored_hold(general)
    assert _without_own(_stored_hold(fast)) == _without_own(_stored_hold(general))
    assert _stored_hold(fast)["expires_at"] == NOW + timedelta(minutes=30)
    assert _account_row(fast_user) == _account_row(general_user)
    assert _account_row(fast_user)["reserved"] == 5

    if outcome == "release":
        settled = services.release_hold(hold_id=fast.pk)
        other = holds._release_hold_locked(hold_id=general.pk)
    else:
        amount = 3 if outcome == "capture part" else None
        settled = services.capture_hold(hold_id=fast.pk, amount=amount, description="")
        other = holds._capture_hold_locked(hold_id=general.pk, amount=amount, description="")

    assert _row(settled, HOLD_FIELDS) == _stored_hold(settled)
    assert _without_own(_stored_hold(fast)) == _without_own(_stored_hold(general))
    assert _row(other, HOLD_FIELDS) == _stored_hold(general)
    assert _account_row(fast_user) == _account_row(general_user)
    taken = {"capture": 5, "capture part": 3, "release": 0}[outcome]
    assert _account_row(fast_user)["reserved"] == 0
    assert _account_row(fast_user)["lifetime_spent"] == taken
    if taken:
        fast_entry = CreditTransaction.objects.get(pk=CreditHold.objects.get(pk=fast.pk).transaction_id)
        general_entry = CreditTransaction.objects.get(pk=CreditHold.objects.get(pk=general.pk).transaction_id)
        assert fast_entry.idempotency_key == f"hold-capture:{fast.pk}"
        assert fast_entry.metadata == {"hold_id": str(fast.pk), "held": 5}
        assert general_entry.metadata == {"hold_id": str(general.pk), "held": 5}
        own = OWN | {"metadata"}
        assert {k: v for k, v in _row(fast_entry, ENTRY_FIELDS).items() if k not in own} == {
            k: v for k, v in _row(general_entry, ENTRY_FIELDS).items() if k not in own
        }
        assert _row(fast_entry, ENTRY_FIELDS)["amount"] == -taken
        assert fast_entry.type == TransactionType.USAGE
        assert fast_entry.description == "Ad: generate format × 5"
        assert fast_entry.created_at == NOW
    else:
        assert CreditHold.objects.get(pk=fast.pk).transaction_id is None
    assert reconcile.find_discrepancies() == []


@pytest.mark.postgres  # the one-statement path is PostgreSQL's; SQLite always takes the general path
@pytest.mark.django_db
def test_a_paid_job_sends_one_statement_to_hold_and_one_to_settle(user, settings):
    settings.CREDITS_DAILY_ALLOWANCE = True
    PricingRule.objects.filter(operation="generate_format").update(rate_limit_per_minute=None)
    services.get_or_open_account(user=user)
    first, _ = services.hold_for_operation(  # the day's first paid action grants the day's credits
        user=user, operation="generate_format", quantity=1, reference_type="generation", reference_id="0"
    )
    services.release_hold(hold_id=first.pk)
    available = CreditAccount.objects.get(user=user).available

    with CaptureQueriesContext(connection) as held:
        hold, priced = services.hold_for_operation(
            user=user,
            operation="generate_format",
            quantity=2,
            reference_type="generation",
            reference_id="1",
            idempotency_key="generation:1",
        )
    with CaptureQueriesContext(connection) as captured:
        services.capture_hold(hold_id=hold.pk)
    other, _ = services.hold_for_operation(
        user=user, operation="generate_format", quantity=2, reference_type="generation", reference_id="2"
    )
    with CaptureQueriesContext(connection) as released:
        services.release_hold(hold_id=other.pk)

    # the price and the plan's tier; then the hold. No transaction of its own: each is one statement.
    assert _kinds(held) == ["SELECT", "WITH"]
    assert _kinds(captured) == ["WITH"]
    assert _kinds(released) == ["WITH"]
    assert (priced.total, priced.tier, hold.amount, hold.status) == (2, "free", 2, HoldStatus.HELD)
    assert priced.available == available  # what was available before the hold, as the general path says
    assert CreditHold.objects.get(pk=hold.pk).status == HoldStatus.CAPTURED
    assert reconcile.find_discrepancies() == []


@pytest.mark.django_db
def test_what_the_one_statement_cannot_do_is_answered_as_before(user, frozen):
    account = services.get_or_open_account(user=user)
    first = _hold(user, "g1")
    assert _hold(user, "g1") == first  # the same key and request: the first hold
    assert CreditAccount.objects.get(pk=account.pk).reserved == 5
    with pytest.raises(IdempotencyConflict):
        services.hold_credits(
            user=user, amount=6, reference_type="generation", reference_id="g1", idempotency_key="generation:g1"
        )
    with pytest.raises(InsufficientCredits):
        services.hold_credits(user=user, amount=10_000, reference_type="generation", reference_id="big")
    assert CreditAccount.objects.get(pk=account.pk).reserved == 5

    with pytest.raises(CreditError):
        services.capture_hold(hold_id=first.pk, amount=6)  # more than held: refused, nothing changes
    assert services.capture_hold(hold_id=first.pk, amount=0).captured_amount == 0  # nothing: no entry
    assert services.capture_hold(hold_id=first.pk).captured_amount == 0  # resolved: nothing happens
    assert services.release_hold(hold_id=first.pk).status == HoldStatus.CAPTURED
    assert CreditAccount.objects.get(pk=account.pk).reserved == 0
    assert not CreditTransaction.objects.filter(type=TransactionType.USAGE).exists()

    stranger = UserFactory()  # no account yet: the general path opens it, bonus first
    held = _hold(stranger, "s1")
    assert held.account.user == stranger
    assert reconcile.find_discrepancies() == []


@pytest.mark.django_db
def test_the_first_paid_action_of_a_day_grants_the_days_credits_first(user, frozen, settings):
    settings.CREDITS_DAILY_ALLOWANCE = True
    SubscriptionPlan.objects.create(name="Free", slug="free-x", tier="free", daily_allowance=3)
    services.get_or_open_account(user=user)
    _hold(user, "d1")
    assert CreditTransaction.objects.filter(type=TransactionType.DAILY_ALLOWANCE).count() == 1
    frozen.move_to(NOW + timedelta(days=1), tick=False)
    _hold(user, "d2")  # a new day: yesterday's expire, today's arrive, then the hold
    assert CreditTransaction.objects.filter(type=TransactionType.DAILY_ALLOWANCE).count() == 2
    _hold(user, "d3")
    assert CreditTransaction.objects.filter(type=TransactionType.DAILY_ALLOWANCE).count() == 2
    assert CreditAccount.objects.get(user=user).reserved == 15
    assert reconcile.find_discrepancies() == []


@pytest.mark.django_db
def test_a_daily_limit_is_still_counted_under_the_lock(user):
    PricingRule.objects.filter(operation="ai_image").update(daily_limit=1, rate_limit_per_minute=None)
    services.get_or_open_account(user=user)
    services.hold_for_operation(user=user, operation="ai_image", quantity=1, reference_type="g", reference_id="1")
    with pytest.raises(OperationNotAllowed, match="today's limit of 1"):
        services.hold_for_operation(user=user, operation="ai_image", quantity=1, reference_type="g", reference_id="2")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "subscriptions",
    [
        [],
        [("pro", SubscriptionStatus.ACTIVE, 10)],
        [("pro", SubscriptionStatus.CANCELED, 10)],
        [("starter", SubscriptionStatus.PAST_DUE, 5), ("business", SubscriptionStatus.TRIALING, 20)],
        [("business", SubscriptionStatus.ACTIVE, 3), ("starter", SubscriptionStatus.ACTIVE, 9)],
        [("pro", SubscriptionStatus.ACTIVE, None)],
    ],
    ids=["none", "active", "canceled", "newest period", "two live", "no period end"],
)
def test_the_price_read_names_the_tier_plans_names(user, subscriptions):
    account = services.get_or_open_account(user=user)
    SubscriptionPlan.objects.get_or_create(slug="free", defaults={"name": "Free", "tier": "free"})
    for number, (tier, status, days) in enumerate(subscriptions):
        plan = SubscriptionPlan.objects.create(name=f"{tier} {number}", slug=f"{tier}-{number}", tier=tier, price=9)
        UserSubscription.objects.create(
            user=user,
            account=account,
            plan=plan,
            status=status,
            stripe_subscription_id=f"sub_{number}",
            current_period_end=None if days is None else NOW + timedelta(days=days),
        )
    price = pricing._price_for(user=user, operation="upscale")
    assert price is not None
    assert price.tier == plans.tier_for_user(user)
    rule = PricingRule.objects.get(operation="upscale")
    assert (price.base_cost, price.tier_multipliers, price.enabled) == (
        rule.base_cost,
        rule.tier_multipliers,
        rule.enabled,
    )
    assert pricing._price_for(user=user, operation="no-such-operation") is None
