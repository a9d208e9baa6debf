from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = "Campaigns"

    def ready(self) -> None:
        # Tasks are sent by name (craftplatform.jobs.enqueue); registering them here lets eager mode
        # (tests, the embedded default) run them in-process instead of sending to a broker.
        from campaigns import (
            tasks,  # noqa: F401
            user_data,  # noqa: F401  (landing pages: export section and files for account deletion)
        )
