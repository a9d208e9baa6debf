from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Users and brands"  # allauth's own app is "Accounts" (sign-in emails)

    def ready(self) -> None:
        from accounts import audit_receivers, user_data  # noqa: F401  (registers receivers and the export section)
