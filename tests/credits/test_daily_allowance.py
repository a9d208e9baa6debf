"""The free plan's daily credits: granted on the first paid action of a day, spent first, gone the next day.

Test settings switch the allowance off (so balances elsewhere stay exact); every test here
switches it on and moves the clock with time-machine instead of waiting for midnight.
"""

from datetime import UTC, date, datetime

import pytest
from django.db.models import Q, Sum
from django.urls import reverse

from credits import services
from credits.constants import SubscriptionStatus, TransactionType
from credits.models import CreditAccount, CreditTransaction, SubscriptionPlan, UserSubscription
from credits.services import plans
from credits.services.ledger import projected_available
from credits.services.reconcile import find_discrepancies

pytestmark = pytest.mark.django_db

DAY_1 = date(2026, 3, 2)
DAY_2 = date(2026, 3, 3)
DAY_3 = date(2026, 3, 4)
FREE_PER_DAY = 3


def _at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@pytest.fixture
def daily_on(settings, time_machine):
    settings.CREDITS_DAILY_ALLOWANCE = True
    time_machine.move_to(_at(DAY_1), tick=False)
    return time_machine


@pytest.fixture
def bonus(daily_on, user, settings) -> int:
    """The welcome credits the user starts with (their only entry so far)."""
    account = services.get_or_open_account(user=user)
    assert account.balance == settings.CREDITS_SIGNUP_BONUS > FREE_PER_DAY
    assert list(account.transactions.values_list("type", flat=True)) == [TransactionType.SIGNUP_BONUS]
    return account.balance


def _spend(user, amount: int, ref: str):
    return services.spend_credits(user=user, amount=amount, reference_type="test", reference_id=ref)


def _account(user) -> CreditAccount:
    return CreditAccount.objects.get(user=user)


def _daily_state(user) -> tuple:
    account = _account(user)
    return account.balance, account.daily_allowance, account.daily_used, account.daily_reset_date


def _entries_on(user, day: date) -> list[tuple]:
    """(type, amount, balance before, balance after, key) of a day's entries, in the order they were written.

    The welcome credits (the user was made that morning) count as the day's start. The clock
    stands still within a day, so the order comes from the chain of balances: each entry
    starts from the balance the one before it left.
    """
    entries = CreditTransaction.objects.filter(account__user=user)
    earlier = Q(created_at__date__lt=day) | Q(type=TransactionType.SIGNUP_BONUS)
    balance = entries.filter(earlier).aggregate(total=Sum("amount"))["total"] or 0
    rows = list(
        entries.filter(created_at__date=day)
        .exclude(earlier)
        .values_list("type", "amount", "balance_before", "balance_after", "idempotency_key")
    )
    chain: list[tuple] = []
    while len(chain) < len(rows):
        (following,) = [row for row in rows if row[2] == balance and row not in chain]
        chain.append(following)
        balance = following[3]
    return chain


def _available_on_overview(auth_client) -> tuple[str, str]:
    page = auth_client.get(reverse("credits:index")).content.decode()
    marker = 'data-testid="credits-available">'
    available = page.split(marker, 1)[1].split("<", 1)[0]
    start = page.find("Includes ")
    note = page[start : page.index(" free credits", start) + len(" free credits")] if start >= 0 else ""
    return available, note


def test_the_first_paid_action_of_a_day_grants_the_free_plans_allowance_once(daily_on, user, bonus):
    assert plans.plan_for_user(user).daily_allowance == FREE_PER_DAY
    account_pk = _account(user).pk

    _spend(user, 1, "a")
    assert _daily_state(user) == (bonus + 3 - 1, 3, 1, DAY_1)
    daily_on.move_to(_at(DAY_1, 23), tick=False)
    _spend(user, 1, "b")
    hold = services.hold_credits(user=user, amount=1, reference_type="test", reference_id="c")
    services.capture_hold(hold_id=hold.pk)

    assert _daily_state(user) == (bonus + 3 - 3, 3, 3, DAY_1)
    key = f"daily:{account_pk}:{DAY_1.isoformat()}"
    assert _entries_on(user, DAY_1) == [
        (TransactionType.DAILY_ALLOWANCE, 3, bonus, bonus + 3, key),
        (TransactionType.USAGE, -1, bonus + 3, bonus + 2, None),
        (TransactionType.USAGE, -1, bonus + 2, bonus + 1, None),
        (TransactionType.USAGE, -1, bonus + 1, bonus, f"hold-capture:{hold.pk}"),
    ]
    grant = CreditTransaction.objects.get(type=TransactionType.DAILY_ALLOWANCE)
    assert (grant.reference_type, grant.reference_id, grant.description) == (
        "daily_allowance",
        "2026-03-02",
        "Today's free credits",
    )
    assert find_discrepancies() == []


def test_spending_uses_todays_free_credits_first_so_nothing_is_left_to_expire(daily_on, user, bonus):
    _spend(user, 5, "a")  # 3 free + 2 of the welcome credits
    assert _daily_state(user) == (bonus + 3 - 5, 3, 3, DAY_1)

    daily_on.move_to(_at(DAY_2), tick=False)
    _spend(user, 1, "b")

    assert not CreditTransaction.objects.filter(type=TransactionType.EXPIRY).exists()
    assert _daily_state(user) == (bonus - 2 + 3 - 1, 3, 1, DAY_2)
    assert find_discrepancies() == []


def test_next_day_the_unused_free_credits_expire_and_three_new_ones_arrive(daily_on, user, bonus):
    account_pk = _account(user).pk
    _spend(user, 1, "a")  # 2 of day 1's free credits left
    after_day_1 = bonus + 3 - 1

    daily_on.move_to(_at(DAY_2, 0), tick=False)  # midnight UTC: a new day
    _spend(user, 2, "b")

    assert _entries_on(user, DAY_2) == [
        (TransactionType.EXPIRY, -2, after_day_1, after_day_1 - 2, f"daily-expiry:{account_pk}:2026-03-02"),
        (TransactionType.DAILY_ALLOWANCE, 3, after_day_1 - 2, after_day_1 + 1, f"daily:{account_pk}:2026-03-03"),
        (TransactionType.USAGE, -2, after_day_1 + 1, after_day_1 - 1, None),
    ]
    expiry = CreditTransaction.objects.get(type=TransactionType.EXPIRY)
    assert (expiry.reference_type, expiry.reference_id) == ("daily_allowance", "2026-03-02")
    assert _daily_state(user) == (bonus + 3 - 1 - 2 + 3 - 2, 3, 2, DAY_2)
    assert _account(user).lifetime_spent == 3
    assert find_discrepancies() == []


def test_an_idle_day_writes_nothing(daily_on, user, bonus, auth_client):
    _spend(user, 1, "a")
    entries_after_day_1 = CreditTransaction.objects.count()
    state_after_day_1 = _daily_state(user)

    daily_on.move_to(_at(DAY_2, 12), tick=False)
    # Looking is not a paid action: pages and prices read, they do not write.
    assert _available_on_overview(auth_client) == (str(bonus + 3 - 1 - 2 + 3), "Includes 3 of today's 3 free credits")
    assert services.quote(user=user, operation="generate_format").available == bonus + 3
    assert auth_client.get(reverse("credits:history")).status_code == 200
    assert CreditTransaction.objects.count() == entries_after_day_1
    assert _daily_state(user) == state_after_day_1

    daily_on.move_to(_at(DAY_3), tick=False)
    _spend(user, 1, "b")

    assert _entries_on(user, DAY_2) == []
    account_pk = _account(user).pk
    assert [row[4] for row in _entries_on(user, DAY_3)] == [
        f"daily-expiry:{account_pk}:2026-03-02",  # day 1's leftover, expired once
        f"daily:{account_pk}:2026-03-04",
        None,
    ]
    assert CreditTransaction.objects.filter(type=TransactionType.DAILY_ALLOWANCE).count() == 2
    assert _daily_state(user) == (bonus + 3 - 1 - 2 + 3 - 1, 3, 1, DAY_3)
    assert find_discrepancies() == []


def test_quote_and_the_overview_count_todays_free_credits_before_they_are_granted(
    daily_on, user, bonus, auth_client, settings
):
    account = _account(user)
    settings.CREDITS_DAILY_ALLOWANCE = False
    assert projected_available(account) == bonus
    assert services.quote(user=user, operation="vectorize").available == bonus
    assert _available_on_overview(auth_client) == (str(bonus), "")

    settings.CREDITS_DAILY_ALLOWANCE = True
    assert projected_available(account) == bonus + 3
    quoted = services.quote(user=user, operation="vectorize")  # 3 credits on the free plan
    assert (quoted.total, quoted.available, quoted.allowed) == (3, bonus + 3, True)
    assert _available_on_overview(auth_client) == (str(bonus + 3), "Includes 3 of today's 3 free credits")
    assert CreditTransaction.objects.filter(account=account).count() == 1  # only the welcome credits

    _spend(user, 1, "a")
    assert _available_on_overview(auth_client) == (str(bonus + 2), "Includes 2 of today's 3 free credits")
    assert services.quote(user=user, operation="vectorize").available == bonus + 2
    assert find_discrepancies() == []


def test_with_nothing_left_but_todays_free_credits_an_action_is_still_allowed(daily_on, user, bonus):
    _spend(user, bonus + 3, "everything")  # day 1: the welcome credits and the free ones
    assert _daily_state(user) == (0, 3, 3, DAY_1)
    assert services.quote(user=user, operation="vectorize").allowed is False

    daily_on.move_to(_at(DAY_2), tick=False)
    quoted = services.quote(user=user, operation="vectorize")
    assert (quoted.available, quoted.allowed, quoted.needs_credits) == (3, True, 0)
    hold, _ = services.hold_for_operation(
        user=user, operation="vectorize", quantity=1, reference_type="test", reference_id="v"
    )
    services.capture_hold(hold_id=hold.pk)

    assert _daily_state(user) == (0, 3, 3, DAY_2)
    assert services.quote(user=user, operation="generate_format").allowed is False
    assert find_discrepancies() == []


def _subscribe_for_real(auth_client, on_sale, deliver, slug: str) -> UserSubscription:
    """Checkout for a plan through the page, paid at the fake Stripe, its events delivered signed."""
    plan = SubscriptionPlan.objects.get(slug=slug)
    response = auth_client.post(reverse("credits:subscribe", args=[plan.pk]))
    assert response.status_code == 302
    session_id = response["Location"].rsplit("/", 1)[1]
    for event in on_sale.complete_checkout(session_id, send=False):
        assert deliver(event).status_code == 200
    return UserSubscription.objects.get(plan=plan, status=SubscriptionStatus.ACTIVE)


def test_a_paid_plan_gets_no_daily_credits_and_yesterdays_free_ones_expire(
    daily_on, user, bonus, auth_client, on_sale, deliver
):
    account_pk = _account(user).pk
    assert plans.watermark_required(user=user) is True
    _spend(user, 1, "a")  # free plan: 3 granted, 2 left at the end of day 1

    subscription = _subscribe_for_real(auth_client, on_sale, deliver, "starter")
    assert (subscription.plan.slug, subscription.status) == ("starter", SubscriptionStatus.ACTIVE)
    assert subscription.plan.daily_allowance == 0
    assert plans.watermark_required(user=user) is False
    after_day_1 = bonus + 3 - 1 + 150
    assert _account(user).balance == after_day_1
    assert find_discrepancies() == []

    daily_on.move_to(_at(DAY_2), tick=False)
    assert projected_available(_account(user)) == after_day_1 - 2  # yesterday's 2 free ones do not count
    assert services.quote(user=user, operation="generate_format").available == after_day_1 - 2
    assert _available_on_overview(auth_client) == (str(after_day_1 - 2), "")
    _spend(user, 1, "b")

    assert _entries_on(user, DAY_2) == [
        (TransactionType.EXPIRY, -2, after_day_1, after_day_1 - 2, f"daily-expiry:{account_pk}:2026-03-02"),
        (TransactionType.USAGE, -1, after_day_1 - 2, after_day_1 - 3, None),
    ]
    assert _daily_state(user) == (after_day_1 - 3, 0, 0, DAY_2)

    daily_on.move_to(_at(DAY_3), tick=False)
    _spend(user, 1, "c")
    assert [row[0] for row in _entries_on(user, DAY_3)] == [TransactionType.USAGE]
    assert _daily_state(user) == (after_day_1 - 4, 0, 0, DAY_3)
    assert not CreditTransaction.objects.filter(type=TransactionType.DAILY_ALLOWANCE, created_at__date__gt=DAY_1)
    assert plans.watermark_required(user=user) is False
    assert find_discrepancies() == []


def test_watermark_follows_the_plan(user, other_user):
    free = SubscriptionPlan.objects.get(slug="free")
    pro = SubscriptionPlan.objects.get(slug="pro")
    assert (free.has_watermark, pro.has_watermark) == (True, False)
    assert plans.watermark_required(user=user) is True
    account = services.get_or_open_account(user=other_user)
    UserSubscription.objects.create(
        user=other_user, account=account, plan=pro, status=SubscriptionStatus.ACTIVE, stripe_subscription_id="sub_x"
    )
    assert plans.watermark_required(user=other_user) is False
    assert plans.watermark_required(user=user) is True
