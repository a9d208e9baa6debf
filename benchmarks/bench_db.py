"""The throwaway PostgreSQL databases the benchmarks fill: create when missing, drop when done.

The benchmarks run as scripts (`python benchmarks/<name>.py`), so this folder is on `sys.path`."""

from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def _admin_url(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/postgres"))


def ensure_database(url: str) -> bool:
    """Create the database when missing; True when this call created it."""
    with psycopg.connect(_admin_url(url), autocommit=True) as admin:
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database_name(url)]).fetchone():
            return False
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database_name(url))))
        return True


def drop_database(url: str) -> None:
    with psycopg.connect(_admin_url(url), autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database_name(url))))
