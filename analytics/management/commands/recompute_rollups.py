"""Recompute the analytics rollups of any range of days (idempotent)."""

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from analytics.services import rollups


class Command(BaseCommand):
    help = "Recompute analytics rollups from the raw rows for a range of UTC days (default: the last 3)."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="first", help="First day, YYYY-MM-DD")
        parser.add_argument("--to", dest="last", help="Last day, YYYY-MM-DD (default: today)")
        parser.add_argument("--days", type=int, default=3, help="Without --from: this many days up to --to")

    def handle(self, *args, first=None, last=None, days=3, **options):
        try:
            end = date.fromisoformat(last) if last else timezone.now().date()
            start = date.fromisoformat(first) if first else end - timedelta(days=max(1, days) - 1)
        except ValueError as exc:
            raise CommandError(f"Dates are written YYYY-MM-DD: {exc}") from exc
        if start > end:
            raise CommandError("--from is after --to.")
        count = rollups.recompute_range(start, end)
        self.stdout.write(self.style.SUCCESS(f"Recomputed {count} day(s), {start} to {end}."))
