"""Rollups equal the same aggregates computed straight from the raw rows, and recomputing is idempotent.

Raw rows are made at random times (seeded) over four days, several near midnight, for users in time
zones from UTC-11 to UTC+14; money moves through the credit services, as the product moves it."""

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.models import UserPreference
from analytics.models import (
    JobDay,
    PlatformDay,
    ProviderCostDay,
    RevenueDay,
    SubscriptionDay,
    UserCreditDay,
    UserDay,
    UserMilestone,
)
from analytics.services import rollups
from credits import services as credit_services
from credits.constants import Operation, PaymentKind, PaymentStatus, TransactionType
from credits.models import CreditTransaction, Payment
from generations.models import Generation, GenerationStatus, ProviderCall
from tests.factories import UserFactory
from tests.generations.factories import GenerationFactory
from tests.templates_app.factories import create_template, make_spec

ZONES = ["UTC", "Pacific/Pago_Pago", "America/Los_Angeles", "Europe/Berlin", "Asia/Tokyo", "Pacific/Kiritimati"]
FIRST_DAY = date(2026, 3, 27)  # Europe's clocks change on the 29th: a 23-hour day is in range
DAYS = 4
OPERATIONS = [Operation.GENERATE_FORMAT, Operation.UPSCALE, Operation.AI_COPY]


def _moment(rng: random.Random) -> datetime:
    start = datetime.combine(FIRST_DAY, datetime.min.time(), tzinfo=UTC)
    if rng.random() < 0.3:  # a few seconds either side of some midnight
        day = rng.randrange(1, DAYS)
        return start + timedelta(days=day, seconds=rng.choice([-3, -1, 0, 1, 2]))
    return start + timedelta(seconds=rng.randrange(DAYS * 86400))


def _build(seed: int) -> list:
    rng = random.Random(seed)  # noqa: S311 (seeded test data, not a secret)
    template = create_template(spec=make_spec(formats=("1:1",)))
    users = []
    for index in range(6):
        with time_machine.travel(datetime(2026, 3, 1, tzinfo=UTC), tick=False):
            user = UserFactory()
            credit_services.grant_credits(
                user=user, amount=500, type=TransactionType.BONUS, idempotency_key=f"seed-{seed}-{index}"
            )
        UserPreference.objects.update_or_create(user=user, defaults={"timezone": ZONES[index % len(ZONES)]})
        users.append(user)
    for n in range(40):
        user = rng.choice(users)
        moment = _moment(rng)
        # The first four events are one of each kind, so no comparison below is ever vacuous.
        kind = (0.1, 0.5, 0.7, 0.9)[n] if n < 4 else rng.random()
        with time_machine.travel(moment, tick=False):
            if kind < 0.45:
                operation = rng.choice(OPERATIONS)
                hold = credit_services.hold_credits(
                    user=user,
                    amount=rng.randint(1, 6),
                    reference_type="generation",
                    reference_id=f"raw-{seed}-{n}",
                    operation=operation,
                )
                if rng.random() < 0.8:
                    credit_services.capture_hold(hold_id=hold.pk, amount=rng.randint(1, hold.amount))
                else:
                    credit_services.release_hold(hold_id=hold.pk)
            elif kind < 0.6:
                credit_services.grant_credits(
                    user=user,
                    amount=rng.randint(1, 50),
                    type=TransactionType.PROMOTION,
                    idempotency_key=f"promo-{seed}-{n}",
                )
            elif kind < 0.75:
                amount = Decimal(rng.choice(["9.00", "19.00", "49.00"]))
                Payment.objects.create(
                    user=user,
                    account=user.credit_account,
                    kind=rng.choice(list(PaymentKind)),
                    provider_payment_id=f"cs_{seed}_{n}",
                    amount=amount,
                    currency=rng.choice(["usd", "eur"]),
                    status=rng.choice(
                        [PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.FAILED]
                    ),
                    amount_refunded=Decimal("0") if rng.random() < 0.7 else Decimal("4.00"),
                    paid_at=moment,
                )
            else:
                generation = GenerationFactory(
                    user=user,
                    template=template,
                    status=rng.choice([GenerationStatus.COMPLETED, GenerationStatus.FAILED, GenerationStatus.QUEUED]),
                )
                if generation.status != GenerationStatus.QUEUED:
                    Generation.objects.filter(pk=generation.pk).update(
                        started_at=moment - timedelta(seconds=rng.randint(1, 30)), completed_at=moment
                    )
                ProviderCall.objects.create(
                    user=user,
                    generation=generation,
                    provider=rng.choice(["openai", "automatic1111"]),
                    operation="copy",
                    model=rng.choice(["gpt-4o-mini", ""]),
                    status=rng.choice(["success", "success", "server_error"]),
                    cost=Decimal(rng.randint(0, 500)) / 10000,
                )
    return users


def _snapshot() -> dict:
    models = [PlatformDay, RevenueDay, SubscriptionDay, ProviderCostDay, JobDay, UserDay, UserCreditDay, UserMilestone]
    skip = {"id", "created_at"}
    return {
        model.__name__: sorted(
            tuple(sorted((k, str(v)) for k, v in row.items() if k not in skip)) for row in model.objects.values()
        )
        for model in models
    }


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rollups_equal_the_raw_aggregates_and_recomputing_changes_nothing(seed):
    users = _build(seed)
    days = [FIRST_DAY + timedelta(days=n) for n in range(DAYS)]
    rollups.recompute_range(days[0], days[-1])
    first = _snapshot()
    rollups.recompute_range(days[0], days[-1])
    assert _snapshot() == first

    entries = list(CreditTransaction.objects.values("account__user_id", "type", "amount", "operation", "created_at"))
    zone_of = {u.pk: ZoneInfo(UserPreference.objects.get(user=u).timezone) for u in users}

    # The user's own credits, per day of their time zone and operation.
    expected_spent = defaultdict(int)
    for e in entries:
        if e["type"] in (TransactionType.USAGE, TransactionType.REFUND):
            local_day = e["created_at"].astimezone(zone_of[e["account__user_id"]]).date()
            if local_day in days:
                expected_spent[(e["account__user_id"], local_day, e["operation"])] += -e["amount"]
    got_spent = {
        (r.user_id, r.day, r.operation): r.spent for r in UserCreditDay.objects.exclude(operation="") if r.spent
    }
    assert got_spent  # the seeded data spends credits: the comparison is never vacuous
    assert got_spent == {k: v for k, v in expected_spent.items() if v}

    # Platform days (UTC): spent, sold and free credits, and the day's net ledger movement.
    for day in days:
        on_day = [e for e in entries if e["created_at"].astimezone(UTC).date() == day]
        row = PlatformDay.objects.get(day=day)
        assert row.credits_spent == -sum(e["amount"] for e in on_day if e["type"] in ("usage", "refund"))
        assert row.credits_free == sum(e["amount"] for e in on_day if e["type"] == "promotion" and e["amount"] > 0)
        assert row.ledger_net == sum(e["amount"] for e in on_day)
        spent_by_user = defaultdict(int)
        for e in on_day:
            if e["type"] in ("usage", "refund"):
                spent_by_user[e["account__user_id"]] += e["amount"]
        active = {user_id for user_id, total in spent_by_user.items() if total < 0}
        active |= {g.user_id for g in Generation.objects.all() if g.created_at.astimezone(UTC).date() == day}
        assert row.active_users == len(active)
        assert set(UserDay.objects.filter(day=day).values_list("user_id", flat=True)) == active

    # Revenue by day, currency and kind.
    expected_revenue = defaultdict(lambda: [0, Decimal(0), Decimal(0)])
    for p in Payment.objects.exclude(status=PaymentStatus.FAILED):
        key = (p.paid_at.astimezone(UTC).date(), p.currency.upper(), p.kind)
        expected_revenue[key][0] += 1
        expected_revenue[key][1] += p.amount
        expected_revenue[key][2] += p.amount_refunded
    got_revenue = {(r.day, r.currency, r.kind): [r.payments, r.gross, r.refunded] for r in RevenueDay.objects.all()}
    assert got_revenue
    assert got_revenue == {k: v for k, v in expected_revenue.items() if k[0] in days}

    # Provider cost by day, provider and model.
    expected_cost = defaultdict(lambda: [0, Decimal(0)])
    for call in ProviderCall.objects.all():
        key = (call.created_at.astimezone(UTC).date(), call.provider, call.model)
        expected_cost[key][0] += 1
        expected_cost[key][1] += call.cost
    got_cost = {(r.day, r.provider, r.model): [r.calls, r.cost] for r in ProviderCostDay.objects.all()}
    assert got_cost
    assert got_cost == {k: v for k, v in expected_cost.items() if k[0] in days}
