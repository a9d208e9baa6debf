from campaigns import admin_integrations, admin_pages  # noqa: F401  (landing pages, issue 15)
