from django.apps import AppConfig


class TemplatesAppConfig(AppConfig):
    name = "templates_app"
    verbose_name = "Templates"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from accounts import brand_fonts
        from templates_app import sqlite_search, user_data  # noqa: F401  (export section)
        from templates_app.services import fonts

        # The brand kit (accounts) offers the user's uploaded families without importing this app.
        brand_fonts.register_font_choices(fonts.brand_font_choices)
        # The embedded search's near-miss function (PostgreSQL has pg_trgm).
        connection_created.connect(sqlite_search.register, dispatch_uid="templates_app.sqlite_search")
