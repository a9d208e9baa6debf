"""The campaigns app's admin, gathered from its sub-packages."""

from campaigns import admin_integrations, admin_pages  # noqa: F401  (landing pages, issue 15)
from campaigns.connections import admin as connections_admin  # noqa: F401
from campaigns.publishing import admin as publishing_admin  # noqa: F401
from campaigns.rules import admin as rules_admin  # noqa: F401
from campaigns.sync import admin as sync_admin  # noqa: F401
