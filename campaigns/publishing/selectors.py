"""Reads the campaign pages and the API share; every one filters by the requesting user (404 else)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from campaigns.publishing.models import Campaign, CampaignAsset, PublishRun, SavedAudience
from generations.models import Generation, GenerationStatus


def campaigns_for(user) -> QuerySet[Campaign]:
    return (
        Campaign.objects.filter(user=user)
        .select_related("ad_account", "page")
        .prefetch_related(Prefetch("publish_runs", queryset=PublishRun.objects.order_by("-created_at")))
    )


def get_campaign_for_user(user, campaign_id) -> Campaign:
    campaign = Campaign.objects.filter(pk=campaign_id, user=user).select_related("ad_account", "page").first()
    if campaign is None:
        raise Http404("No such campaign.")
    return campaign


def get_asset_for_user(user, campaign: Campaign, asset_id) -> CampaignAsset:
    asset = (
        CampaignAsset.objects.filter(pk=asset_id, campaign=campaign, campaign__user=user)
        .select_related("generation__template", "campaign__page")
        .first()
    )
    if asset is None:
        raise Http404("No such creative.")
    return asset


def get_run_for_user(user, run_id) -> PublishRun:
    run = PublishRun.objects.filter(pk=run_id, user=user).select_related("campaign").first()
    if run is None:
        raise Http404("No such publish run.")
    return run


def assets_of(campaign: Campaign) -> QuerySet[CampaignAsset]:
    return campaign.assets.select_related("generation__template").prefetch_related("generation__assets")


def runs_of(campaign: Campaign) -> QuerySet[PublishRun]:
    return campaign.publish_runs.prefetch_related("steps").order_by("-created_at")


def library_for(user) -> QuerySet[Generation]:
    """Finished generations the user can build ads from (with their formats)."""
    return (
        Generation.objects.filter(user=user, status=GenerationStatus.COMPLETED)
        .select_related("template")
        .order_by("-created_at")[:60]
    )


def saved_audiences(user) -> QuerySet[SavedAudience]:
    return SavedAudience.objects.filter(user=user)
