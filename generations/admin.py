"""The admin for generations: jobs and assets (here), image operations, collections and providers
(their own modules, imported so they register)."""

from generations import admin_library, admin_operations, admin_providers  # noqa: F401
