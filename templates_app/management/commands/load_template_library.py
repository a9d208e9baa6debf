from django.core.management.base import BaseCommand, CommandError

from templates_app.services import load_template_library


class Command(BaseCommand):
    help = (
        "Create or update the shipped template library (templates_app/library/*.json) by slug. Safe to run "
        "again: unchanged files change nothing, a changed spec makes a new version, nothing is deleted."
    )

    def add_arguments(self, parser):
        parser.add_argument("--path", help="Folder of library JSON files (default: templates_app/library).")
        parser.add_argument(
            "--deactivate-missing",
            action="store_true",
            help="Deactivate library templates whose file is no longer shipped (they are kept, hidden from the gallery).",
        )
        parser.add_argument(
            "--rerender", action="store_true", help="Render every template's previews again, even if unchanged."
        )

    def handle(self, *args, **options):
        report = load_template_library(
            path=options["path"], deactivate_missing=options["deactivate_missing"], force_render=options["rerender"]
        )
        if report.categories_created or report.categories_updated:
            self.stdout.write(
                f"Categories: {len(report.categories_created)} created, {len(report.categories_updated)} updated."
            )
        self.stdout.write(
            f"Templates: {len(report.created)} created, {len(report.updated)} updated, "
            f"{len(report.unchanged)} unchanged ({len(report.rendered)} rendered)."
        )
        if report.no_longer_shipped:
            verb = "deactivated" if report.deactivated else "kept (pass --deactivate-missing to hide them)"
            self.stdout.write(self.style.WARNING(f"No longer shipped, {verb}: {', '.join(report.no_longer_shipped)}"))
        for error in report.errors:
            self.stderr.write(self.style.ERROR(error))
        if report.errors:
            raise CommandError(f"{len(report.errors)} library file(s) could not be loaded.")
        self.stdout.write(self.style.SUCCESS("The template library is up to date."))
