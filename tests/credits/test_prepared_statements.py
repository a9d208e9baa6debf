"""The credit statements a paid job sends are prepared on the server, and nothing else is.

With DATABASE_PREPARED_STATEMENTS on (the default), craftplatform/db_statements.py sends the price
and tier read, the hold, the capture and the release through psycopg's server-binding cursor on
Django's connection with prepare=True; off, through Django's cursor, which never prepares. These
tests look in pg_prepared_statements on the same connection, check that the ORM's own queries stay
unprepared with the threshold set, and that a new connection or a rollback leaves no stale name.
"""

import pytest
from django.db import connection, transaction

from credits import services
from credits.constants import HoldStatus
from credits.models import CreditHold, PricingRule
from credits.services import hold_statements, pricing

pytestmark = pytest.mark.postgres  # prepared statements are PostgreSQL's


@pytest.fixture
def statements_off(settings):
    settings.DATABASE_PREPARED_STATEMENTS = False


@pytest.fixture
def paying_user(user, settings):
    settings.CREDITS_DAILY_ALLOWANCE = True
    PricingRule.objects.filter(operation="generate_format").update(rate_limit_per_minute=None, daily_limit=None)
    services.get_or_open_account(user=user)
    first, _ = services.hold_for_operation(  # the day's first paid action grants the day's credits (general path)
        user=user, operation="generate_format", quantity=1, reference_type="generation", reference_id="first"
    )
    services.release_hold(hold_id=first.pk)
    return user


def _job(user, reference: str, *, outcome: str = "capture") -> CreditHold:
    hold, _quote = services.hold_for_operation(
        user=user,
        operation="generate_format",
        quantity=2,
        reference_type="generation",
        reference_id=reference,
        idempotency_key=f"generation:{reference}",
    )
    if outcome == "capture":
        return services.capture_hold(hold_id=hold.pk)
    return services.release_hold(hold_id=hold.pk)


@transaction.atomic
def _job_then_fail(user, reference: str) -> None:
    _job(user, reference)
    raise RuntimeError("the caller fails after the capture")


def _prepared() -> list[tuple[str, str, str]]:
    """(name, statement, parameter types) prepared on this connection through the protocol (psycopg's)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, statement, parameter_types::text FROM pg_prepared_statements WHERE NOT from_sql ORDER BY name"
        )
        return cursor.fetchall()


def _names_of(rows, marker: str) -> list[str]:
    return [name for name, statement, _types in rows if marker in statement]


# Text each statement (as psycopg sends it, %(name)s turned into $n) and no other contains.
PRICE = "FROM credits_pricingrule r"
HOLD = "ON CONFLICT (idempotency_key) DO NOTHING"
CAPTURE = "'hold-capture:'"
RELEASE = "SET status = 'released'"


@pytest.mark.django_db
def test_with_the_setting_on_a_jobs_statements_are_prepared_once_each(paying_user, settings):
    settings.DATABASE_PREPARED_STATEMENTS = True
    _job(paying_user, "1")
    _job(paying_user, "2")
    _job(paying_user, "3", outcome="release")
    _job(paying_user, "4", outcome="release")

    rows = _prepared()
    for marker in (PRICE, HOLD, CAPTURE, RELEASE):
        assert len(_names_of(rows, marker)) == 1, (marker, rows)  # two runs, one statement on the server
    types = {statement: parameter_types for _name, statement, parameter_types in rows}
    (hold_types,) = [parameter_types for statement, parameter_types in types.items() if HOLD in statement]
    # uuid keys, integer amounts, timestamptz times; text left for the server to infer from the column
    assert "uuid" in hold_types
    assert "integer" in hold_types
    assert "timestamp with time zone" in hold_types
    assert "smallint" not in hold_types  # int4 whatever the amount: one statement, not one per size
    assert "bigint" not in hold_types
    assert len(rows) == 4, rows  # nothing the ORM sent (the account, the holds, the day's grant) is prepared
    assert CreditHold.objects.filter(status=HoldStatus.CAPTURED, reference_id__in=["1", "2"]).count() == 2


@pytest.mark.django_db
def test_with_the_setting_off_nothing_is_prepared(statements_off, paying_user):
    for reference in ("1", "2", "3", "4", "5", "6"):
        _job(paying_user, reference, outcome="capture" if int(reference) % 2 else "release")

    assert _prepared() == []


@pytest.mark.django_db
def test_the_orm_is_not_prepared_however_often_it_runs(paying_user, settings):
    assert connection.connection.prepare_threshold == 5  # the setting sets psycopg's threshold
    for _ in range(12):  # well past the threshold: Django's client-binding cursor never prepares
        list(CreditHold.objects.filter(account__user=paying_user).values_list("pk", flat=True))
    # Only the credit statements the fixture's job sent are prepared.
    others = [row for row in _prepared() if not any(marker in row[1] for marker in (PRICE, HOLD, CAPTURE, RELEASE))]
    assert others == []


@pytest.mark.django_db
def test_the_statements_run_inside_the_callers_transaction(paying_user, settings):
    settings.DATABASE_PREPARED_STATEMENTS = True
    _job(paying_user, "before")  # prepared now
    with pytest.raises(RuntimeError):
        _job_then_fail(paying_user, "undone")
    assert not CreditHold.objects.filter(reference_id="undone").exists()
    # The rollback made psycopg forget (and deallocate) what it prepared; the next job prepares again.
    assert _prepared() == []
    _job(paying_user, "after")
    assert len(_names_of(_prepared(), HOLD)) == 1


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_starts_with_nothing_prepared_and_prepares_again(paying_user, settings):
    settings.DATABASE_PREPARED_STATEMENTS = True
    _job(paying_user, "1")
    assert len(_names_of(_prepared(), CAPTURE)) == 1
    connection.close()  # what CONN_MAX_AGE and close_old_connections do

    _job(paying_user, "2")
    assert len(_names_of(_prepared(), CAPTURE)) == 1
    assert CreditHold.objects.filter(status=HoldStatus.CAPTURED, reference_id__in=["1", "2"]).count() == 2


def test_the_statements_tested_here_are_the_ones_the_product_sends():
    assert PRICE in pricing.PRICE_AND_TIER_SQL
    assert HOLD in hold_statements.hold_sql(daily_allowance=True)
    assert CAPTURE in hold_statements.capture_sql(partial=False)
    assert RELEASE in hold_statements.release_sql()
