from django.core.management.base import BaseCommand

from craftplatform.schedules import sync_schedules


class Command(BaseCommand):
    help = "Write the periodic tasks declared in craftplatform/schedules.py into the beat scheduler's tables."

    def handle(self, *args, **options):
        result = sync_schedules()
        self.stdout.write(
            f"{result['declared']} schedules declared: {result['created']} created, {result['removed']} removed."
        )
