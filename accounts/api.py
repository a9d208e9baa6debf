"""REST API for the signed-in user's account, preferences, brand kit and business profile."""

import re
import zoneinfo

from django.utils.cache import add_never_cache_headers
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import brand_fonts, selectors, services
from accounts.constants import BRAND_FONTS, NOTIFICATION_LABELS, PALETTE_KEYS, ContentFilterLevel, Theme, VoiceTone
from accounts.models import BusinessProfile
from craftplatform import uploads
from craftplatform.api_errors import ApiError
from craftplatform.images import ImageRejected, clean_uploaded_image

HEX = re.compile(r"^#[0-9A-Fa-f]{6}$")
FONT_NAMES = [name for name, _ in BRAND_FONTS]


class UserSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    email = serializers.EmailField(read_only=True)
    first_name = serializers.CharField(max_length=100, allow_blank=True, required=False)
    last_name = serializers.CharField(max_length=100, allow_blank=True, required=False)
    email_verified = serializers.BooleanField(source="is_verified", read_only=True)
    auth_provider = serializers.CharField(read_only=True)
    avatar_url = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(read_only=True)

    def get_avatar_url(self, user) -> str | None:
        return user.avatar.url if user.avatar else None


@extend_schema_field({"type": "string", "enum": sorted(zoneinfo.available_timezones())})
class TimezoneField(serializers.CharField):
    """An IANA time zone name."""


@extend_schema_field(
    {
        "type": "object",
        "properties": {key: {"type": "boolean", "description": label} for key, label in NOTIFICATION_LABELS.items()},
        "additionalProperties": False,
    }
)
class NotificationsField(serializers.DictField):
    """Each notification setting on or off."""


class PreferencesSerializer(serializers.Serializer):
    timezone = TimezoneField(max_length=64)
    theme = serializers.ChoiceField(choices=Theme.choices)
    content_filter_level = serializers.ChoiceField(choices=ContentFilterLevel.choices)
    notifications = NotificationsField(child=serializers.BooleanField())

    def validate_timezone(self, value):
        if value not in zoneinfo.available_timezones():
            raise serializers.ValidationError("Unknown time zone.")
        return value

    def validate_notifications(self, value):
        unknown = set(value) - set(NOTIFICATION_LABELS)
        if unknown:
            raise serializers.ValidationError(f"Unknown notification settings: {', '.join(sorted(unknown))}.")
        return value


@extend_schema_field(
    {
        "type": "object",
        "properties": {key: {"type": "string", "pattern": "^#[0-9A-Fa-f]{6}$"} for key in PALETTE_KEYS},
        "additionalProperties": False,
    }
)
class PaletteField(serializers.DictField):
    """The brand colours by role, each like #1A2B3C."""


@extend_schema_field(
    {
        "type": "object",
        "properties": {
            "heading_font": {"type": "string", "minLength": 1, "maxLength": 100},
            "body_font": {"type": "string", "minLength": 1, "maxLength": 100},
        },
        "additionalProperties": False,
    }
)
class TypographyField(serializers.DictField):
    """heading_font and body_font."""


class BrandKitSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255, allow_blank=True, required=False)
    website_url = serializers.URLField(max_length=500, allow_blank=True, required=False)
    palette = PaletteField(child=serializers.CharField(max_length=7), required=False)
    typography = TypographyField(
        child=serializers.CharField(max_length=100),
        required=False,
        help_text="heading_font and body_font: a bundled family or one of your uploaded fonts.",
    )
    voice = serializers.DictField(child=serializers.CharField(max_length=200, allow_blank=True), required=False)
    messaging = serializers.DictField(required=False)
    logo_url = serializers.SerializerMethodField()
    updated_at = serializers.DateTimeField(read_only=True)

    def get_logo_url(self, brand) -> str | None:
        return brand.logo.url if brand.logo else None

    def validate_palette(self, value):
        unknown = set(value) - set(PALETTE_KEYS)
        if unknown:
            raise serializers.ValidationError(f"Unknown colours: {', '.join(sorted(unknown))}.")
        bad = [key for key, colour in value.items() if not HEX.match(colour)]
        if bad:
            raise serializers.ValidationError(f"Use colours like #1A2B3C for: {', '.join(sorted(bad))}.")
        return value

    def validate_typography(self, value):
        unknown = set(value) - {"heading_font", "body_font"}
        if unknown:
            raise serializers.ValidationError("Only heading_font and body_font can be set.")
        # The view passes the user's choices (uploaded fonts included); the bundled ones otherwise.
        names = self.context.get("font_names", FONT_NAMES)
        bad = sorted({family for family in value.values() if family not in names})
        if bad:
            raise serializers.ValidationError(f"Unknown font: {', '.join(bad)}. Choose one of {', '.join(names)}.")
        return value

    def validate_voice(self, value):
        if "tone" in value and value["tone"] and value["tone"] not in VoiceTone.values:
            raise serializers.ValidationError(f"tone must be one of: {', '.join(VoiceTone.values)}.")
        return value

    def to_representation(self, brand):
        return {
            "name": brand.name,
            "website_url": brand.website_url,
            "palette": {key: brand.colour(key) for key in PALETTE_KEYS},
            "typography": brand.typography,
            "voice": brand.brand_voice,
            "messaging": brand.messaging_patterns,
            "logo_url": self.get_logo_url(brand),
            "updated_at": brand.updated_at,
        }


class BusinessProfileSerializer(serializers.ModelSerializer):
    class Meta:
        model = BusinessProfile
        fields = [*BusinessProfile.EDITABLE_FIELDS, "updated_at"]
        read_only_fields = ["updated_at"]


class MeView(APIView):
    @extend_schema(responses=UserSerializer)
    def get(self, request):
        return Response(UserSerializer(request.user).data)

    @extend_schema(request=UserSerializer, responses=UserSerializer)
    def patch(self, request):
        serializer = UserSerializer(request.user, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = services.update_profile(
            user=request.user,
            first_name=serializer.validated_data.get("first_name", request.user.first_name),
            last_name=serializer.validated_data.get("last_name", request.user.last_name),
        )
        return Response(UserSerializer(user).data)


class PreferencesView(APIView):
    def _data(self, prefs):
        return {
            "timezone": prefs.timezone,
            "theme": (prefs.ui_preferences or {}).get("theme", Theme.AUTO),
            "content_filter_level": prefs.content_filter_level,
            "notifications": {key: prefs.notification(key) for key in NOTIFICATION_LABELS},
        }

    @extend_schema(responses=PreferencesSerializer)
    def get(self, request):
        return Response(self._data(selectors.get_preferences(user=request.user)))

    @extend_schema(request=PreferencesSerializer, responses=PreferencesSerializer)
    def patch(self, request):
        current = self._data(selectors.get_preferences(user=request.user))
        serializer = PreferencesSerializer(data={**current, **request.data})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        prefs = services.update_preferences(
            user=request.user,
            timezone_name=data["timezone"],
            theme=data["theme"],
            content_filter_level=data["content_filter_level"],
            notifications={**current["notifications"], **data["notifications"]},
        )
        return Response(self._data(prefs))


class BrandKitView(APIView):
    @extend_schema(responses=BrandKitSerializer)
    def get(self, request):
        return Response(BrandKitSerializer(selectors.get_brand_profile(user=request.user)).data)

    @extend_schema(request=BrandKitSerializer, responses=BrandKitSerializer)
    def patch(self, request):
        font_names = [family for family, _ in brand_fonts.font_choices_for(request.user)]
        serializer = BrandKitSerializer(data=request.data, partial=True, context={"font_names": font_names})
        serializer.is_valid(raise_exception=True)
        brand = services.update_brand_profile(user=request.user, values=serializer.validated_data)
        return Response(BrandKitSerializer(brand).data)


class LogoUploadSerializer(serializers.Serializer):
    logo = serializers.FileField()


class BrandLogoView(APIView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    upload_kind = "image"  # the schema documents the accepted types and limits

    @extend_schema(request={"multipart/form-data": LogoUploadSerializer}, responses=BrandKitSerializer)
    def put(self, request):
        serializer = LogoUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            uploads.check_upload_rate(user=request.user, files=1)
        except uploads.UploadRateLimited as exc:
            return Response({"logo": [exc.message]}, status=429, headers={"Retry-After": str(exc.retry_after)})
        try:
            logo = clean_uploaded_image(serializer.validated_data["logo"])
        except ImageRejected as exc:
            raise ApiError(str(exc), code="invalid_image", errors={"logo": [str(exc)]}) from exc
        brand = services.update_brand_profile(user=request.user, values={}, logo=logo)
        return Response(BrandKitSerializer(brand).data)

    @extend_schema(responses={200: BrandKitSerializer})
    def delete(self, request):
        brand = services.update_brand_profile(user=request.user, values={}, remove_logo=True)
        return Response(BrandKitSerializer(brand).data)


class BusinessProfileView(APIView):
    @extend_schema(responses=BusinessProfileSerializer)
    def get(self, request):
        return Response(BusinessProfileSerializer(selectors.get_business_profile(user=request.user)).data)

    @extend_schema(request=BusinessProfileSerializer, responses=BusinessProfileSerializer)
    def patch(self, request):
        business = selectors.get_business_profile(user=request.user)
        serializer = BusinessProfileSerializer(business, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        business = services.update_business_profile(user=request.user, values=serializer.validated_data)
        return Response(BusinessProfileSerializer(business).data)


class ExportView(APIView):
    @extend_schema(request=None, responses={200: dict})
    def post(self, request):
        response = Response(services.record_data_export(user=request.user, request=request))
        add_never_cache_headers(response)
        return response
