from django.apps import AppConfig


class CreditsConfig(AppConfig):
    name = "credits"
    verbose_name = "Credits"

    def ready(self) -> None:
        from credits import receivers, user_data  # noqa: F401  (signup bonus, export section)

        self.register_job_hold_ledger()

    @staticmethod
    def register_job_hold_ledger() -> None:
        """Job runner (issue 10, jobs area): jobs settle their credit holds through this ledger."""
        from craftplatform.jobs.holds import register_hold_ledger
        from credits.services.job_holds import CreditHoldLedger

        register_hold_ledger(CreditHoldLedger())
