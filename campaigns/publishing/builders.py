"""The parameters of each Meta object a publish creates, from the draft (Marketing API shapes)."""

from __future__ import annotations

from campaigns.publishing import plan as plans
from campaigns.publishing import rules
from campaigns.publishing.models import BudgetLevel, BudgetType, Campaign, CampaignAsset

OPTIMIZATION_GOALS = {
    "OUTCOME_SALES": "LANDING_PAGE_VIEWS",
    "OUTCOME_LEADS": "LANDING_PAGE_VIEWS",
    "OUTCOME_TRAFFIC": "LINK_CLICKS",
    "OUTCOME_AWARENESS": "REACH",
    "OUTCOME_ENGAGEMENT": "POST_ENGAGEMENT",
    "OUTCOME_APP_PROMOTION": "LINK_CLICKS",
}


def named(label: str, key: str) -> str:
    """Object names carry the step's publish key: a retry finds what an earlier attempt created."""
    return f"{label[:200]} [{key}]"


def _budget(campaign: Campaign) -> dict:
    field = "daily_budget" if campaign.budget_type == BudgetType.DAILY else "lifetime_budget"
    return {field: campaign.budget_amount}


def campaign_params(campaign: Campaign, key: str) -> dict:
    params = {
        "name": named(campaign.name, key),
        "objective": campaign.objective,
        "status": "PAUSED",  # always created paused; activated last if the user asked for it
        "special_ad_categories": campaign.special_ad_categories or [],
        "buying_type": "AUCTION",
    }
    if campaign.budget_level == BudgetLevel.CAMPAIGN:
        params.update(_budget(campaign), bid_strategy="LOWEST_COST_WITHOUT_CAP")
    else:
        params["is_adset_budget_sharing_enabled"] = False
    return params


def targeting_spec(campaign: Campaign) -> dict:
    t = campaign.targeting or {}
    geo: dict = {}
    if t.get("countries"):
        geo["countries"] = t["countries"]
    if t.get("regions"):
        geo["regions"] = [{"key": r} for r in t["regions"]]
    if t.get("cities"):
        geo["cities"] = [
            {"key": c["key"], "radius": int(c.get("radius_km") or 25), "distance_unit": "kilometer"}
            for c in t["cities"]
        ]
    spec: dict = {
        "geo_locations": geo,
        "age_min": int(t.get("age_min") or 18),
        "age_max": int(t.get("age_max") or 65),
        "targeting_automation": {"advantage_audience": 1 if t.get("advantage_audience") else 0},
    }
    if t.get("genders"):
        spec["genders"] = t["genders"]
    if t.get("interests"):
        spec["flexible_spec"] = [{"interests": [{"id": i["id"], "name": i["name"]} for i in t["interests"]]}]
    if campaign.placements_mode == "manual":
        merged: dict[str, list] = {}
        for key in campaign.placements:
            for field, values in rules.PLACEMENTS[key]["spec"].items():
                merged.setdefault(field, [])
                merged[field] += [v for v in values if v not in merged[field]]
        spec.update(merged)
    return spec


def adset_params(campaign: Campaign, key: str, *, meta_campaign_id: str, status: str) -> dict:
    params = {
        "name": named(f"{campaign.name} ad set", key),
        "campaign_id": meta_campaign_id,
        "status": status,
        "billing_event": "IMPRESSIONS",
        "optimization_goal": OPTIMIZATION_GOALS.get(campaign.objective, "LINK_CLICKS"),
        "targeting": targeting_spec(campaign),
    }
    if campaign.start_time:
        params["start_time"] = campaign.start_time.isoformat()
    if campaign.end_time:
        params["end_time"] = campaign.end_time.isoformat()
    if campaign.budget_level == BudgetLevel.ADSET:
        params.update(_budget(campaign), bid_strategy="LOWEST_COST_WITHOUT_CAP")
    return params


def creative_params(asset: CampaignAsset, key: str, *, hashes: dict[str, str]) -> dict:
    """`hashes` maps each of the ad's formats to its image hash at Meta."""
    campaign = asset.campaign
    link = rules.with_utm(asset.destination_url, asset.utm)
    story: dict = {"page_id": campaign.page.page_id}
    if campaign.page.use_instagram and campaign.page.instagram_actor_id:
        story["instagram_user_id"] = campaign.page.instagram_actor_id
    if len(hashes) == 1:
        story["link_data"] = {
            "image_hash": next(iter(hashes.values())),
            "link": link,
            "message": asset.primary_text,
            "name": asset.headline,
            "description": asset.description,
            "call_to_action": {"type": asset.call_to_action, "value": {"link": link}},
        }
        return {"name": named(asset.ad_name, key), "object_story_spec": story}
    # Several formats of one creative: each format pinned to the placements it fits.
    images, rules_ = [], []
    for priority, (fmt, image_hash) in enumerate(sorted(hashes.items()), start=1):
        label = f"format_{fmt.replace(':', 'x')}"
        images.append({"hash": image_hash, "adlabels": [{"name": label}]})
        placement = rules.PLACEMENTS[rules.FORMAT_PLACEMENT[fmt]]["spec"]
        rules_.append({"customization_spec": placement, "image_label": {"name": label}, "priority": priority})
    feed = {
        "images": images,
        "bodies": [{"text": asset.primary_text}],
        "titles": [{"text": asset.headline}] if asset.headline else [],
        "descriptions": [{"text": asset.description}] if asset.description else [],
        "link_urls": [{"website_url": link}],
        "call_to_action_types": [asset.call_to_action],
        "ad_formats": ["SINGLE_IMAGE"],
        "optimization_type": "PLACEMENT",
        "asset_customization_rules": rules_,
    }
    return {"name": named(asset.ad_name, key), "object_story_spec": story, "asset_feed_spec": feed}


def ad_hashes(asset: CampaignAsset) -> dict[str, str]:
    return {a.format_key: plans.image_hash(a) for a in plans.result_assets(asset)}


def ad_params(asset: CampaignAsset, key: str, *, adset_id: str, creative_id: str, status: str) -> dict:
    return {
        "name": named(asset.ad_name, key),
        "adset_id": adset_id,
        "creative": {"creative_id": creative_id},
        "status": status,
    }
