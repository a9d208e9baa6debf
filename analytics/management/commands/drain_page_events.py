"""Drain the page-event stream into the database: once (`--once`) or as a long-running process."""

import time

from django.core.management.base import BaseCommand

from analytics import drain


class Command(BaseCommand):
    help = "Move accepted page events from the Redis stream into the database (COPY in batches)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Drain what is there and stop.")
        parser.add_argument("--batch-size", type=int, default=None)
        parser.add_argument("--consumer", default=None, help="Consumer name (default: host-pid).")

    def handle(self, *args, once=False, batch_size=None, consumer=None, **options):
        total = 0
        while True:
            total += drain.drain(consumer=consumer, batch_size=batch_size, block_ms=0 if once else 2000)
            if once:
                break
            time.sleep(0.05)
        self.stdout.write(f"drained {total} events")
