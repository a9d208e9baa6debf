"""The biggest rollups written inside PostgreSQL: INSERT … SELECT, no rows through Python.

`rollups` and `campaign_rollups` call these when the database is PostgreSQL and keep their
Python path for SQLite (the embedded default). Both paths follow the same definitions, and the
rollup-equals-raw property tests run on both databases.

Table and column names come from the models (never from input); every value is a parameter.
"""

from __future__ import annotations

from datetime import date

from django.db import connection

from accounts.models import User, UserPreference
from analytics.models import AdBreakdownDay, AdDay, UserCreditDay, UserDay, UserMilestone
from analytics.services.days import Bounds, local_bounds, utc_bounds, zone_for
from campaigns.models import Breakdown, MetaAdAccount, MetaConnection, PerformanceRecord
from credits.constants import TransactionType
from credits.models import CreditAccount, CreditTransaction, Payment
from generations.models import Generation, ImageOperation, ProviderCall

AD_SUMS = ("impressions", "reach", "clicks", "inline_link_clicks", "spend", "conversions", "conversion_value")


def in_database() -> bool:
    return connection.vendor == "postgresql"


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _col(model, name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


def _zones_in_use() -> list[str]:
    """The time zones users chose that both Python and PostgreSQL know; anything else counts as UTC
    (as `zone_for` does), so an odd stored name can never fail the rollup."""
    names = {
        name
        for name in UserPreference.objects.values_list("timezone", flat=True).distinct()
        if name and zone_for(name).key == name
    }
    if not names:
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_timezone_names WHERE name = ANY(%s)", [sorted(names)])
        return sorted(row[0] for row in cursor.fetchall())


def _span(day: date, zones: list[str]) -> Bounds:
    """From the earliest zone's midnight to the latest zone's next midnight: ~50 hours at most."""
    spans = [utc_bounds(day)] + [local_bounds(day, zone_for(name)) for name in zones]
    return Bounds(min(b.start for b in spans), max(b.end for b in spans))


def user_credit_days(*, day: date, spent_types: set[str]) -> int:
    """Per user and operation on `day` of each user's own time zone, in one pass over the ledger:
    every entry of the ~50 hours that hold any zone's `day`, bucketed by the owner's local date."""
    zones = _zones_in_use()
    span = _span(day, zones)
    tx, account, pref = CreditTransaction, CreditAccount, UserPreference
    statement = f"""
        WITH entries AS (
            SELECT a.{_col(account, "user")} AS user_id, t.{_col(tx, "type")} AS type,
                   COALESCE(t.{_col(tx, "operation")}, '') AS operation, t.{_col(tx, "amount")} AS amount
            FROM {_table(tx)} t
            JOIN {_table(account)} a ON a.{_col(account, "id")} = t.{_col(tx, "account")}
            LEFT JOIN {_table(pref)} p ON p.{_col(pref, "user")} = a.{_col(account, "user")}
            WHERE t.{_col(tx, "created_at")} >= %(start)s AND t.{_col(tx, "created_at")} < %(end)s
              AND a.{_col(account, "user")} IS NOT NULL
              AND (t.{_col(tx, "created_at")} AT TIME ZONE
                   CASE WHEN p.{_col(pref, "timezone")} = ANY(%(zones)s) THEN p.{_col(pref, "timezone")}
                        ELSE 'UTC' END)::date = %(day)s
        )
        INSERT INTO {_table(UserCreditDay)} (id, created_at, user_id, day, operation, spent, uses, granted)
        SELECT gen_random_uuid(), now(), user_id, %(day)s,
               CASE WHEN type = ANY(%(spent)s) THEN operation ELSE '' END AS op,
               COALESCE(-SUM(amount) FILTER (WHERE type = ANY(%(spent)s)), 0),
               COUNT(*) FILTER (WHERE type = %(usage)s),
               COALESCE(SUM(amount) FILTER (WHERE amount > 0 AND NOT type = ANY(%(spent)s)), 0)
        FROM entries
        WHERE type = ANY(%(spent)s) OR amount > 0
        GROUP BY user_id, op
    """  # noqa: S608 (names from the models, values are parameters)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_table(UserCreditDay)} WHERE day = %s", [day])  # noqa: S608
        cursor.execute(
            statement,
            {
                "start": span.start,
                "end": span.end,
                "zones": zones,
                "day": day,
                "spent": sorted(spent_types),
                "usage": TransactionType.USAGE,
            },
        )
        return cursor.rowcount


def user_days(*, day: date, bounds: Bounds, spent_types: set[str]) -> int:
    """Each user's generations, image operations, credits spent and AI cost on the UTC day."""
    tx, account, gen, op, call = CreditTransaction, CreditAccount, Generation, ImageOperation, ProviderCall
    statement = f"""
        INSERT INTO {_table(UserDay)} (id, created_at, day, user_id, generations, operations, credits_spent, ai_cost)
        SELECT gen_random_uuid(), now(), %(day)s, user_id, SUM(g), SUM(o), SUM(s), SUM(c)
        FROM (
            SELECT {_col(gen, "user")} AS user_id, COUNT(*) AS g, 0 AS o, 0 AS s, 0 AS c
            FROM {_table(gen)} WHERE {_col(gen, "created_at")} >= %(start)s AND {_col(gen, "created_at")} < %(end)s
            GROUP BY 1
            UNION ALL
            SELECT {_col(op, "user")}, 0, COUNT(*), 0, 0
            FROM {_table(op)} WHERE {_col(op, "created_at")} >= %(start)s AND {_col(op, "created_at")} < %(end)s
            GROUP BY 1
            UNION ALL
            SELECT a.{_col(account, "user")}, 0, 0, -SUM(t.{_col(tx, "amount")}), 0
            FROM {_table(tx)} t JOIN {_table(account)} a ON a.{_col(account, "id")} = t.{_col(tx, "account")}
            WHERE t.{_col(tx, "created_at")} >= %(start)s AND t.{_col(tx, "created_at")} < %(end)s
              AND t.{_col(tx, "type")} = ANY(%(spent)s) AND a.{_col(account, "user")} IS NOT NULL
            GROUP BY 1 HAVING SUM(t.{_col(tx, "amount")}) < 0
            UNION ALL
            SELECT {_col(call, "user")}, 0, 0, 0, SUM({_col(call, "cost")})
            FROM {_table(call)}
            WHERE {_col(call, "created_at")} >= %(start)s AND {_col(call, "created_at")} < %(end)s
              AND {_col(call, "user")} IS NOT NULL
            GROUP BY 1 HAVING COALESCE(SUM({_col(call, "cost")}), 0) <> 0
        ) AS parts
        GROUP BY user_id
    """  # noqa: S608 (names from the models, values are parameters)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_table(UserDay)} WHERE day = %s", [day])  # noqa: S608
        cursor.execute(statement, {"day": day, "start": bounds.start, "end": bounds.end, "spent": sorted(spent_types)})
        return cursor.rowcount


def ad_days(*, day: date) -> int:
    """One row per ad and day from the placement breakdown; rows of one ad stored before and after
    its campaign was linked are one ad (the first linked campaign, creative and Meta campaign)."""
    rec, acc, conn = PerformanceRecord, MetaAdAccount, MetaConnection
    sums = ", ".join(f"SUM(r.{_col(rec, name)})" for name in AD_SUMS)
    names = ", ".join(_col(AdDay, name) for name in AD_SUMS)

    def first(name: str) -> str:
        column = f"r.{_col(rec, name)}"
        return f"(array_agg({column}) FILTER (WHERE {column} IS NOT NULL))[1]"

    meta_campaign = f"r.{_col(rec, 'meta_campaign_id')}"
    statement = f"""
        INSERT INTO {_table(AdDay)} (id, created_at, day, user_id, ad_account_id, currency, meta_ad_id,
            meta_campaign_id, campaign_id, campaign_asset_id, {names})
        SELECT gen_random_uuid(), now(), %(day)s, c.{_col(conn, "user")}, r.{_col(rec, "ad_account")},
            UPPER(MIN(r.{_col(rec, "currency")})), r.{_col(rec, "meta_ad_id")},
            COALESCE((array_agg({meta_campaign}) FILTER (WHERE {meta_campaign} <> ''))[1], ''),
            {first("campaign")}, {first("campaign_asset")}, {sums}
        FROM {_table(rec)} r
        JOIN {_table(acc)} a ON a.{_col(acc, "id")} = r.{_col(rec, "ad_account")}
        JOIN {_table(conn)} c ON c.{_col(conn, "id")} = a.{_col(acc, "connection")}
        WHERE r.{_col(rec, "date")} = %(day)s AND r.{_col(rec, "breakdown")} = %(placement)s
        GROUP BY r.{_col(rec, "ad_account")}, r.{_col(rec, "meta_ad_id")}, c.{_col(conn, "user")}
    """  # noqa: S608 (names from the models, values are parameters)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_table(AdDay)} WHERE day = %s", [day])  # noqa: S608
        cursor.execute(statement, {"day": day, "placement": Breakdown.PLACEMENT})
        return cursor.rowcount


def milestones(*, bounds: Bounds, paid_statuses: set[str]) -> int:
    """Sign-up, first generation and first payment of the users who signed up, generated or paid in
    the window, upserted by the database."""
    user, gen, pay = User, Generation, Payment
    window = "{column} >= %(start)s AND {column} < %(end)s"
    statement = f"""
        WITH touched AS (
            SELECT {_col(user, "id")} AS id FROM {_table(user)}
            WHERE {window.format(column=_col(user, "created_at"))}
            UNION
            SELECT {_col(gen, "user")} FROM {_table(gen)} WHERE {window.format(column=_col(gen, "created_at"))}
            UNION
            SELECT {_col(pay, "user")} FROM {_table(pay)}
            WHERE {window.format(column=_col(pay, "paid_at"))} AND {_col(pay, "user")} IS NOT NULL
        )
        INSERT INTO {_table(UserMilestone)} (id, created_at, user_id, signed_up_at, first_generation_at,
            first_payment_at)
        SELECT gen_random_uuid(), now(), u.{_col(user, "id")}, u.{_col(user, "created_at")},
            (SELECT MIN(g.{_col(gen, "created_at")}) FROM {_table(gen)} g
             WHERE g.{_col(gen, "user")} = u.{_col(user, "id")}),
            (SELECT MIN(p.{_col(pay, "paid_at")}) FROM {_table(pay)} p
             WHERE p.{_col(pay, "user")} = u.{_col(user, "id")} AND p.{_col(pay, "status")} = ANY(%(paid)s)
               AND p.{_col(pay, "paid_at")} IS NOT NULL)
        FROM {_table(user)} u JOIN touched t ON t.id = u.{_col(user, "id")}
        ON CONFLICT (user_id) DO UPDATE SET signed_up_at = EXCLUDED.signed_up_at,
            first_generation_at = EXCLUDED.first_generation_at, first_payment_at = EXCLUDED.first_payment_at
    """  # noqa: S608 (names from the models, values are parameters)
    with connection.cursor() as cursor:
        cursor.execute(statement, {"start": bounds.start, "end": bounds.end, "paid": sorted(paid_statuses)})
        return cursor.rowcount


def ad_breakdown_days(*, day: date) -> int:
    """All of an ad account's ads on one day per platform and placement, and per age and gender."""
    rec, acc, conn, out = PerformanceRecord, MetaAdAccount, MetaConnection, AdBreakdownDay
    sums = ", ".join(f"SUM(r.{_col(rec, name)})" for name in AD_SUMS)
    names = ", ".join(_col(out, name) for name in AD_SUMS)
    placement = f"r.{_col(rec, 'breakdown')} = %(placement)s"
    statement = f"""
        INSERT INTO {_table(out)} (id, created_at, day, user_id, ad_account_id, currency, breakdown,
            {_col(out, "first")}, {_col(out, "second")}, {names})
        SELECT gen_random_uuid(), now(), %(day)s, c.{_col(conn, "user")}, r.{_col(rec, "ad_account")},
            UPPER(MIN(r.{_col(rec, "currency")})), r.{_col(rec, "breakdown")},
            CASE WHEN {placement} THEN r.{_col(rec, "publisher_platform")} ELSE r.{_col(rec, "age")} END AS f,
            CASE WHEN {placement} THEN r.{_col(rec, "platform_position")} ELSE r.{_col(rec, "gender")} END AS s,
            {sums}
        FROM {_table(rec)} r
        JOIN {_table(acc)} a ON a.{_col(acc, "id")} = r.{_col(rec, "ad_account")}
        JOIN {_table(conn)} c ON c.{_col(conn, "id")} = a.{_col(acc, "connection")}
        WHERE r.{_col(rec, "date")} = %(day)s AND r.{_col(rec, "breakdown")} = ANY(%(breakdowns)s)
        GROUP BY r.{_col(rec, "ad_account")}, c.{_col(conn, "user")}, r.{_col(rec, "breakdown")}, f, s
    """  # noqa: S608 (names from the models, values are parameters)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_table(out)} WHERE day = %s", [day])  # noqa: S608
        cursor.execute(
            statement,
            {"day": day, "placement": Breakdown.PLACEMENT, "breakdowns": [Breakdown.PLACEMENT, Breakdown.DEMOGRAPHIC]},
        )
        return cursor.rowcount
