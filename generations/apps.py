from django.apps import AppConfig


class GenerationsConfig(AppConfig):
    name = "generations"
    verbose_name = "Generations"

    def ready(self) -> None:
        from generations import user_data  # noqa: F401  (export section and files for account deletion)
