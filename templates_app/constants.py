"""Choices shared by templates, the gallery filters and the shipped library."""

from django.db import models

from accounts.constants import Industry  # one list of industries for brand kits and templates

__all__ = ["CampaignType", "Industry", "TemplateStyle"]


class TemplateStyle(models.TextChoices):
    MINIMAL = "minimal", "Minimal"
    BOLD = "bold", "Bold"
    ELEGANT = "elegant", "Elegant"
    PLAYFUL = "playful", "Playful"
    CORPORATE = "corporate", "Corporate"
    PHOTO_LED = "photo_led", "Photo-led"


class CampaignType(models.TextChoices):
    """The campaign purposes of seed 002, so a template can be matched to a campaign later."""

    SALES = "sales", "Sale"
    LEAD_GENERATION = "lead_generation", "Lead generation"
    BRAND_AWARENESS = "brand_awareness", "Brand awareness"
    EVENT_PROMOTION = "event_promotion", "Event"
    APP_INSTALLS = "app_installs", "App install"
    RETARGETING = "retargeting", "Retargeting"
    STORE_VISITS = "store_visits", "Store visits"
