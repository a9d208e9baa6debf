"""The campaigns app's models, gathered from its sub-packages (DESIGN.md section 3)."""

from campaigns.connections.models import ConnectionStatus, MetaAdAccount, MetaConnection, MetaPage  # noqa: F401
from campaigns.integrations.models import *  # noqa: F403  (landing pages: WordPress sites, webhooks)
from campaigns.leads.models import *  # noqa: F403  (landing pages: leads and conversions)
from campaigns.pages.models import *  # noqa: F403  (landing pages: pages, versions, components, library)
from campaigns.publishing.models import (  # noqa: F401
    Campaign,
    CampaignAsset,
    CampaignChange,
    PublishRun,
    PublishStep,
    SavedAudience,
)
from campaigns.rules.models import OptimizationLog, OptimizationRule  # noqa: F401
from campaigns.sync.models import Breakdown, PerformanceRecord, SyncKind, SyncRun  # noqa: F401
