"""What a publish will create, computed from a draft: the review screen's counts and the run's steps.

One campaign, one ad set, one image per distinct picture (by Meta's hash: the MD5 of the bytes),
and per creative of the campaign one ad creative and one ad. Several formats of one creative make
one ad whose creative pins each format to its placements (asset customisation rules).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from campaigns.publishing import rules
from campaigns.publishing.models import BudgetType, Campaign, CampaignAsset
from generations.models import Asset, AssetKind, AssetStatus


@dataclass
class PlannedImage:
    asset: Asset
    format_key: str
    image_hash: str


@dataclass
class PlannedAd:
    campaign_asset: CampaignAsset
    images: list[PlannedImage]


@dataclass
class Plan:
    campaign: Campaign
    ads: list[PlannedAd] = field(default_factory=list)

    @property
    def images(self) -> list[PlannedImage]:
        seen: dict[str, PlannedImage] = {}
        for ad in self.ads:
            for image in ad.images:
                seen.setdefault(image.image_hash, image)
        return list(seen.values())

    @property
    def counts(self) -> dict[str, int]:
        return {
            "campaigns": 1,
            "ad_sets": 1,
            "ads": len(self.ads),
            "creatives": len(self.ads),
            "images": len(self.images),
        }

    @property
    def formats(self) -> set[str]:
        return {image.format_key for ad in self.ads for image in ad.images}

    @property
    def total_budget(self) -> int | None:
        """Minor units for the whole schedule; None for a daily budget without an end."""
        campaign = self.campaign
        if campaign.budget_type == BudgetType.LIFETIME:
            return campaign.budget_amount
        if campaign.start_time and campaign.end_time:
            days = max(1, -(-int((campaign.end_time - campaign.start_time).total_seconds()) // 86400))
            return campaign.budget_amount * days
        return None


def image_hash(asset: Asset) -> str:
    with asset.file.open("rb") as handle:
        return hashlib.md5(handle.read()).hexdigest()  # noqa: S324 (Meta's image hash is the MD5 of the bytes)


def result_assets(campaign_asset: CampaignAsset) -> list[Asset]:
    return list(
        Asset.objects.filter(
            generation_id=campaign_asset.generation_id,
            kind=AssetKind.RESULT,
            status=AssetStatus.ACTIVE,
            format_key__in=campaign_asset.formats,
        ).order_by("format_key")
    )


def build_plan(campaign: Campaign) -> Plan:
    plan = Plan(campaign=campaign)
    for campaign_asset in campaign.assets.select_related("generation__template").all():
        images = [
            PlannedImage(asset=a, format_key=a.format_key, image_hash=image_hash(a))
            for a in result_assets(campaign_asset)
        ]
        plan.ads.append(PlannedAd(campaign_asset=campaign_asset, images=images))
    return plan


def problems(campaign: Campaign, plan: Plan, *, connection) -> dict[str, str]:
    """Everything that stops a publish, by wizard step (empty: ready)."""
    found: dict[str, str] = {}
    now = timezone.now()
    if connection is None or not connection.can_publish:
        found["connection"] = "Connect Meta (Campaigns → Connection) before publishing."
    if campaign.ad_account is None:
        found["goal"] = "Choose the ad account to publish in."
    elif not campaign.ad_account.is_usable:
        found["goal"] = "This ad account is not active at Meta."
    if campaign.page is None:
        found["goal"] = "Choose the Facebook Page the ads run as."
    budget = rules.budget_errors(
        budget_type=campaign.budget_type,
        amount=campaign.budget_amount,
        currency=campaign.currency or "",
        account_currency=campaign.ad_account.currency if campaign.ad_account else None,
        start=campaign.start_time,
        end=campaign.end_time,
        now=now - timedelta(minutes=5),
    )
    if budget:
        found["budget"] = " ".join(budget.values())
    targeting = rules.targeting_errors(campaign.targeting, campaign.special_ad_categories)
    if targeting:
        found["audience"] = " ".join(targeting.values())
    if not plan.ads or any(not ad.images for ad in plan.ads):
        found["creatives"] = "Add at least one creative with its images."
    else:
        for ad in plan.ads:
            if error := rules.url_error(ad.campaign_asset.destination_url):
                found["creatives"] = error
    placements = rules.placement_errors(campaign.placements_mode, campaign.placements, plan.formats)
    if placements:
        found["placements"] = placements["placements"]
    return found
