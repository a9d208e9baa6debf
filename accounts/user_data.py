"""What accounts keeps about a user, for "download my data" and "delete my account"."""

from accounts.models import ApiKey, AuditEvent, BrandProfile, BusinessProfile, UserPreference
from craftplatform import user_data


def _iso(value):
    return value.isoformat() if value else None


def export_account(user) -> dict:
    preferences = UserPreference.objects.filter(user=user).first()
    brand = BrandProfile.objects.filter(user=user).first()
    business = BusinessProfile.objects.filter(user=user).first()
    return {
        "profile": {
            "id": str(user.pk),
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "avatar": user.avatar.name or None,
            "auth_provider": user.auth_provider,
            "email_verified": user.is_verified,
            "created_at": _iso(user.created_at),
            "last_login": _iso(user.last_login),
            "metadata": user.metadata,
        },
        "preferences": preferences
        and {
            "language": preferences.language,
            "timezone": preferences.timezone,
            "ui_preferences": preferences.ui_preferences,
            "notification_settings": preferences.notification_settings,
            "content_filter_level": preferences.content_filter_level,
            "default_ai_model": preferences.default_ai_model,
        },
        "brand_kit": brand
        and {
            "name": brand.name,
            "website_url": brand.website_url,
            "logo": brand.logo.name or None,
            "color_palette": brand.color_palette,
            "typography": brand.typography,
            "brand_voice": brand.brand_voice,
            "messaging_patterns": brand.messaging_patterns,
            "website_analysis": brand.website_analysis,
            "updated_at": _iso(brand.updated_at),
        },
        "business_profile": business
        and {
            "business_name": business.business_name,
            "business_type": business.business_type,
            "industry": business.industry,
            "website_url": business.website_url,
            "business_address": business.business_address,
            "target_audience_description": business.target_audience_description,
            "monthly_budget_range": business.monthly_budget_range,
        },
        "api_keys": [
            {"name": k.name, "prefix": k.prefix, "created_at": _iso(k.created_at), "revoked_at": _iso(k.revoked_at)}
            for k in ApiKey.objects.filter(user=user).order_by("created_at")
        ],
        "activity": [
            {
                "action": event.action,
                "at": _iso(event.created_at),
                "ip_address": event.ip_address,
                "user_agent": event.user_agent,
            }
            for event in AuditEvent.objects.filter(actor=user).order_by("created_at")
        ],
    }


def account_files(user) -> list[str]:
    names = [user.avatar.name] if user.avatar else []
    names += [b.logo.name for b in BrandProfile.objects.filter(user=user) if b.logo]
    return names


user_data.register("account", export=export_account, files=account_files)
