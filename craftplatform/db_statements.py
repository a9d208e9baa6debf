"""A cursor for the hand-written statements every paid job sends, prepared on the server when allowed.

A paid job sends the same few statements over and over (credits: the price and tier read, the
hold, the capture or the release). With DATABASE_PREPARED_STATEMENTS on (the default on
PostgreSQL) they go through psycopg's server-binding cursor on Django's own connection, inside
the same transaction, with prepare=True: PostgreSQL parses and plans each one once per
connection, then only binds and runs it. The cursor is wrapped in Django's own cursor wrapper, so
errors are Django's, and query logging, execute wrappers and query counts in tests see it.

Why this is safe for the rest of the project: psycopg prepares only on a connection whose
prepare_threshold is set (settings set it when this is on; Django leaves it None otherwise), and
only through a cursor that binds on the server. Django's own cursor is psycopg's ClientCursor,
which never prepares, so nothing the ORM sends is prepared. psycopg tracks what it prepared per
connection: a new connection (CONN_MAX_AGE, close_old_connections, a test database) starts with
nothing prepared, and a rollback or a DISCARD ALL / DEALLOCATE ALL / DROP / ALTER sent through any
cursor makes it forget (and deallocate) them, so no stale name is ever used.

Off (DATABASE_PREPARED_STATEMENTS=false, for a pooler in transaction mode that cannot carry
prepared statements, such as PgBouncer before 1.21), and on SQLite, this is Django's ordinary
cursor.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper


class _PreparingCursor(psycopg.Cursor[Any]):
    """psycopg's server-binding cursor, preparing each statement on its first run on a connection."""

    def execute(
        self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: bool | None = None
    ) -> Any:
        return super().execute(query, params, prepare=True, binary=binary)


class _LoggedCursor(CursorDebugWrapper):
    """Django's query log (DEBUG, tests' query counts) for it: the statement as written, its parameters beside.

    Django would log psycopg's text of the last query sent, which a prepared run does not keep.
    """

    @contextmanager
    def debug_sql(
        self, sql: Any = None, params: Any = None, use_last_executed_query: bool = False, many: bool = False
    ) -> Iterator[None]:
        with super().debug_sql(sql, params, use_last_executed_query=False, many=many):
            yield


def prepares() -> bool:
    """Whether statement_cursor() prepares (PostgreSQL with DATABASE_PREPARED_STATEMENTS on)."""
    return connection.vendor == "postgresql" and bool(settings.DATABASE_PREPARED_STATEMENTS)


@contextmanager
def statement_cursor() -> Iterator[CursorWrapper]:
    """A cursor on the default connection for a hot hand-written statement: prepared if prepares()."""
    if not prepares():
        with connection.cursor() as cursor:
            yield cursor
        return
    # What connection.cursor() does before it makes a cursor, with psycopg's own cursor class.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        raw = _PreparingCursor(connection.connection)
    connection.validate_thread_sharing()
    cursor = _LoggedCursor(raw, connection) if connection.queries_logged else connection.make_cursor(raw)
    with cursor:
        yield cursor
