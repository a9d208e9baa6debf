from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CraftplatformConfig(AppConfig):
    name = "craftplatform"
    verbose_name = "Platform"

    def ready(self) -> None:
        from craftplatform import checks, schedules  # noqa: F401  (registers system checks)

        # Keep the database scheduler in step with the schedules declared in code.
        post_migrate.connect(schedules.sync_after_migrate, sender=self)
