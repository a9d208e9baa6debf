"""Choices shared by the accounts models, forms and API."""

from django.db import models


class AuthProvider(models.TextChoices):
    EMAIL = "email", "Email and password"
    GOOGLE = "google", "Google"


class Industry(models.TextChoices):
    RESTAURANT = "restaurant", "Restaurant and food"
    ECOMMERCE = "ecommerce", "E-commerce and retail"
    FASHION = "fashion", "Fashion"
    REAL_ESTATE = "real_estate", "Real estate"
    FITNESS = "fitness", "Fitness"
    HEALTHCARE = "healthcare", "Healthcare"
    SAAS = "saas", "Software and SaaS"
    BEAUTY = "beauty", "Beauty and wellness"
    EVENTS = "events", "Events"
    EDUCATION = "education", "Education"
    AUTOMOTIVE = "automotive", "Automotive"
    PROFESSIONAL_SERVICES = "professional_services", "Professional services"
    OTHER = "other", "Other"


class BusinessType(models.TextChoices):
    LOCAL = "local", "Local business"
    ONLINE_STORE = "online_store", "Online store"
    SERVICE = "service", "Service provider"
    SOFTWARE = "software", "Software company"
    AGENCY = "agency", "Agency"
    NONPROFIT = "nonprofit", "Non-profit"
    OTHER = "other", "Other"


class BudgetRange(models.TextChoices):
    UNDER_500 = "under_500", "Under $500 a month"
    FROM_500 = "500_2000", "$500 – $2,000 a month"
    FROM_2000 = "2000_10000", "$2,000 – $10,000 a month"
    OVER_10000 = "over_10000", "Over $10,000 a month"


class ContentFilterLevel(models.TextChoices):
    STRICT = "strict", "Strict"
    MODERATE = "moderate", "Moderate"
    RELAXED = "relaxed", "Relaxed"


class Theme(models.TextChoices):
    AUTO = "auto", "Follow my device"
    LIGHT = "light", "Light"
    DARK = "dark", "Dark"


class VoiceTone(models.TextChoices):
    PROFESSIONAL = "professional", "Professional"
    FRIENDLY = "friendly", "Friendly"
    PLAYFUL = "playful", "Playful"
    BOLD = "bold", "Bold"
    LUXURIOUS = "luxurious", "Luxurious"
    CARING = "caring", "Caring"


# The font families a brand kit chooses from. The template renderer bundles
# these families (OFL-licensed) so renders look the same on every machine.
BRAND_FONTS = [
    ("Inter", "Inter"),
    ("Roboto", "Roboto"),
    ("Lato", "Lato"),
    ("Montserrat", "Montserrat"),
    ("Playfair Display", "Playfair Display"),
    ("Oswald", "Oswald"),
    ("Noto Sans", "Noto Sans"),
    ("Noto Serif", "Noto Serif"),
    ("Noto Sans Arabic", "Noto Sans Arabic"),
    ("Noto Sans Hebrew", "Noto Sans Hebrew"),
]

PALETTE_KEYS = ("primary", "secondary", "accent", "background", "text")
DEFAULT_PALETTE = {
    "primary": "#2E86AB",
    "secondary": "#F8F9FA",
    "accent": "#F18F01",
    "background": "#FFFFFF",
    "text": "#1B1B1E",
}
DEFAULT_TYPOGRAPHY = {"heading_font": "Inter", "body_font": "Inter"}
DEFAULT_NOTIFICATIONS = {"generation_finished": True, "billing": True, "product_updates": False}

# Notification settings users can change, with the words shown beside each.
NOTIFICATION_LABELS = {
    "generation_finished": "Email me when my ads are ready or could not be made",
    "billing": "Email me when a payment fails (receipts are always sent)",
    "product_updates": "Email me about new templates and features",
}
