"""Draining the page-event stream into the database, exactly once.

A consumer group reads batches from the stream. Each batch is written in one transaction (on
PostgreSQL: `COPY` into a temporary table, then one `INSERT … SELECT … ON CONFLICT (ingest_id) DO
NOTHING`), and only after that transaction commits are the entries acknowledged and removed from
the stream. A drain killed before the commit leaves its entries pending: the next drain takes them
over (XAUTOCLAIM after `PAGE_EVENTS_CLAIM_IDLE_MS`) and writes them. A drain killed after the commit
but before the acknowledgement writes them again, and the unique ingest id (the stream entry id)
makes the second write a no-op. Either way every accepted event is stored once.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import uuid

import redis
from django.conf import settings
from django.db import connection, transaction

from analytics import ingest
from analytics.models import PageEvent
from campaigns.models import LandingPage

logger = logging.getLogger(__name__)

GROUP = "drain"
COLUMNS = (
    "id",
    "ingest_id",
    "page_id",
    "version_number",
    "event_type",
    "component_id",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_content",
    "utm_term",
    "fbclid",
    "referrer",
    "visitor_hash",
    "country",
    "occurred_at",
    "created_at",
)


def consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def _ensure_group(client: redis.Redis) -> None:
    try:
        client.xgroup_create(ingest.STREAM, GROUP, id="0", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def _rows(entries) -> list[dict]:
    rows = []
    for entry_id, fields in entries:
        entry_id = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
        try:
            raw = fields.get(b"e") or fields.get("e")
            rows.append(ingest.row_values(json.loads(raw), entry_id))
        except (TypeError, ValueError, KeyError):
            logger.error("unreadable page event dropped", extra={"entry_id": entry_id})
    return rows


def store_batch(rows: list[dict]) -> int:
    """Write rows once each (a repeated ingest id is skipped); returns how many were new."""
    if not rows:
        return 0
    if connection.vendor == "postgresql":
        return _copy_batch(rows)
    pages = set(LandingPage.objects.filter(pk__in={row["page_id"] for row in rows}).values_list("pk", flat=True))
    keep = [PageEvent(**row) for row in rows if _uuid(row["page_id"]) in pages]
    before = PageEvent.objects.filter(ingest_id__in=[row["ingest_id"] for row in rows]).count()
    with transaction.atomic():
        PageEvent.objects.bulk_create(keep, ignore_conflicts=True, batch_size=500)
    return PageEvent.objects.filter(ingest_id__in=[row["ingest_id"] for row in rows]).count() - before


def _uuid(value):
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _copy_batch(rows: list[dict]) -> int:
    table = PageEvent._meta.db_table
    pages = LandingPage._meta.db_table
    columns = ", ".join(COLUMNS)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS page_event_load (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        with cursor.cursor.copy(f"COPY page_event_load ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(tuple(row[name] for name in COLUMNS))
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM page_event_load l "  # noqa: S608
            f"WHERE EXISTS (SELECT 1 FROM {pages} p WHERE p.id = l.page_id) "
            "ON CONFLICT (ingest_id) DO NOTHING"
        )
        return cursor.rowcount


def drain(
    *, consumer: str | None = None, batch_size: int | None = None, max_batches: int | None = None, block_ms: int = 0
) -> int:
    """Drain until the stream is empty (or `max_batches`); returns how many entries were handled."""
    client = ingest.redis_client()
    if client is None:
        return 0
    consumer = consumer or consumer_name()
    batch_size = batch_size or settings.PAGE_EVENTS_DRAIN_BATCH
    _ensure_group(client)
    handled = 0
    batches = 0
    claim_from = "0-0"
    while max_batches is None or batches < max_batches:
        entries = []
        if claim_from is not None:  # entries a killed drain left unacknowledged
            claim_from, claimed, *_ = client.xautoclaim(
                ingest.STREAM,
                GROUP,
                consumer,
                min_idle_time=settings.PAGE_EVENTS_CLAIM_IDLE_MS,
                start_id=claim_from,
                count=batch_size,
            )
            entries = [entry for entry in claimed if entry[1]]
            gone = [entry_id for entry_id, fields in claimed if not fields]
            if gone:  # deleted from the stream but never acknowledged: nothing left to store
                client.xack(ingest.STREAM, GROUP, *gone)
            if claim_from in (b"0-0", "0-0"):
                claim_from = None
        if not entries:
            own = client.xreadgroup(GROUP, consumer, {ingest.STREAM: "0"}, count=batch_size)
            entries = [entry for entry in (own[0][1] if own else []) if entry[1]]
        if not entries:
            fresh = client.xreadgroup(GROUP, consumer, {ingest.STREAM: ">"}, count=batch_size, block=block_ms or None)
            entries = fresh[0][1] if fresh else []
        if not entries and claim_from is None:
            break
        if not entries:
            continue
        store_batch(_rows(entries))
        ids = [entry_id for entry_id, _ in entries]
        # Acknowledge and delete in one MULTI/EXEC: a drain killed here leaves both undone (the next
        # one stores the batch again, which writes nothing new) or both done, never an acknowledged
        # entry that stays in the stream forever.
        with client.pipeline(transaction=True) as pipe:
            pipe.xack(ingest.STREAM, GROUP, *ids)
            pipe.xdel(ingest.STREAM, *ids)
            pipe.execute()
        handled += len(ids)
        batches += 1
    return handled
