"""Every model of the campaigns app, gathered from its sub-packages (DESIGN.md section 3)."""

from campaigns.integrations.models import *  # noqa: F403  (landing pages: WordPress sites, webhooks)
from campaigns.leads.models import *  # noqa: F403  (landing pages: leads and conversions)
from campaigns.pages.models import *  # noqa: F403  (landing pages: pages, versions, components, library)
