from django.core.management.base import BaseCommand, CommandError

from credits.services.reconcile import account_count, find_discrepancies


class Command(BaseCommand):
    help = (
        "Check that every credit account's balance equals the sum of its ledger and its reserved credits equal "
        "its open holds. Reports differences and exits with status 1; never changes anything."
    )

    def handle(self, *args, **options):
        problems = find_discrepancies()
        checked = account_count()
        if not problems:
            self.stdout.write(self.style.SUCCESS(f"{checked} accounts checked: every balance agrees with its ledger."))
            return
        for problem in problems:
            self.stdout.write(self.style.ERROR(str(problem)))
        raise CommandError(f"{len(problems)} discrepancies in {checked} accounts.")
