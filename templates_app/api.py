"""REST API of the template library: browse with the gallery's filters, read a template, favourites;
and the user's uploaded brand fonts."""

from django.core.files.storage import default_storage
from django.http import Http404, HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.idempotency import idempotent
from craftplatform.api_errors import ApiError
from craftplatform.api_pagination import ApiPagination
from craftplatform.api_schema import errors
from templates_app import selectors, services
from templates_app.constants import CampaignType, Industry, TemplateStyle
from templates_app.models import BrandFont
from templates_app.selectors import PAGE_SIZE, GalleryFilters, Sort
from templates_app.spec import FORMAT_KEYS, FORMATS, nearest_format


class CategorySerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    description = serializers.CharField()
    icon = serializers.CharField()


class GalleryQuerySerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=100, help_text="Search words.")
    category = serializers.SlugField(required=False, allow_blank=True, help_text="A category slug.")
    industry = serializers.ChoiceField(choices=Industry.choices, required=False, allow_blank=True)
    style = serializers.ChoiceField(choices=TemplateStyle.choices, required=False, allow_blank=True)
    campaign_type = serializers.ChoiceField(choices=CampaignType.choices, required=False, allow_blank=True)
    # Not "format": DRF reads that query parameter to pick a renderer.
    designed_for = serializers.ChoiceField(
        choices=list(FORMAT_KEYS),
        required=False,
        allow_blank=True,
        help_text="Templates laid out for this format by hand (every template has all four, adapted where needed).",
    )
    favorites = serializers.BooleanField(required=False, default=False, help_text="Only your favourites.")
    no_product_photo = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Only templates that need no product photo (no image slot for your product).",
    )
    sort = serializers.ChoiceField(
        choices=Sort.CHOICES,
        required=False,
        allow_blank=True,
        help_text="Default: relevance when searching, featured otherwise.",
    )

    def filters(self) -> GalleryFilters:
        data = self.validated_data
        return GalleryFilters(
            q=data.get("q", ""),
            category=data.get("category", ""),
            industry=data.get("industry", ""),
            style=data.get("style", ""),
            campaign_type=data.get("campaign_type", ""),
            format=data.get("designed_for", ""),
            favorites=data.get("favorites", False),
            no_product_photo=data.get("no_product_photo", False),
            sort=data.get("sort", ""),
        )


class TemplateSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    slug = serializers.SlugField()
    name = serializers.CharField()
    description = serializers.CharField()
    industry = serializers.CharField()
    style = serializers.CharField()
    campaign_type = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    categories = CategorySerializer(many=True, source="categories.all")
    native_formats = serializers.ListField(
        child=serializers.CharField(), help_text="Formats the template lays out itself."
    )
    adapted_formats = serializers.ListField(
        child=serializers.CharField(), help_text="Formats adapted from a native one."
    )
    is_featured = serializers.BooleanField()
    is_favorite = serializers.BooleanField()
    needs_product_photo = serializers.BooleanField(
        help_text="The template has an image slot for your product photo; its sample art is only a placeholder."
    )
    usage_count = serializers.IntegerField()
    best_ctr = serializers.FloatField(
        allow_null=True, help_text="Impressions-weighted CTR of measured ads; null without data."
    )
    spec_version = serializers.IntegerField()
    thumbnail_url = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    def get_thumbnail_url(self, template) -> str | None:
        return template.thumbnail.url if template.thumbnail else None

    def get_url(self, template) -> str:
        return reverse("api-template-detail", args=[template.slug])


class FormatSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    adapted = serializers.BooleanField()
    adapted_from = serializers.CharField(allow_null=True)
    preview_url = serializers.CharField(allow_null=True)


class SlotSerializer(serializers.Serializer):
    name = serializers.CharField()
    type = serializers.ChoiceField(choices=["text", "image", "color"])
    label = serializers.CharField()
    required = serializers.BooleanField()
    max_chars = serializers.IntegerField(allow_null=True)
    default = serializers.CharField(allow_null=True)
    role = serializers.CharField(allow_null=True)
    help = serializers.CharField(allow_blank=True)


class MetricsSerializer(serializers.Serializer):
    days = serializers.IntegerField()
    impressions = serializers.IntegerField()
    ctr = serializers.FloatField(allow_null=True)
    conversion_rate = serializers.FloatField(allow_null=True)
    engagement_rate = serializers.FloatField(allow_null=True)
    first_day = serializers.DateTimeField()
    last_day = serializers.DateTimeField()


class TemplateDetailSerializer(TemplateSerializer):
    slots = serializers.SerializerMethodField()
    formats = serializers.SerializerMethodField()
    metrics = serializers.SerializerMethodField()

    @extend_schema_field(SlotSerializer(many=True))
    def get_slots(self, template) -> list[dict]:
        slots = (template.render_spec or {}).get("slots", {})
        return [
            {
                "name": name,
                "type": slot["type"],
                "label": slot.get("label", name),
                "required": slot.get("required", False),
                "max_chars": slot.get("max_chars"),
                "default": slot.get("default"),
                "role": slot.get("role"),
                "help": slot.get("help", ""),
            }
            for name, slot in slots.items()
        ]

    @extend_schema_field(FormatSerializer(many=True))
    def get_formats(self, template) -> list[dict]:
        formats = []
        for key in FORMAT_KEYS:
            adapted = key in (template.adapted_formats or [])
            name = (template.previews or {}).get(key)
            formats.append(
                {
                    "key": key,
                    "label": FORMATS[key].label,
                    "width": FORMATS[key].width,
                    "height": FORMATS[key].height,
                    "adapted": adapted,
                    "adapted_from": nearest_format(template.native_formats, key)
                    if adapted and template.native_formats
                    else None,
                    "preview_url": default_storage.url(name) if name else None,
                }
            )
        return formats

    @extend_schema_field(MetricsSerializer(allow_null=True))
    def get_metrics(self, template) -> dict | None:
        summary = self.context.get("metrics")
        return MetricsSerializer(summary).data if summary else None


class TemplatePagination(ApiPagination):
    page_size = PAGE_SIZE


class TemplateListView(generics.ListAPIView):
    """Active templates, filtered, searched and sorted like the gallery, 24 a page."""

    serializer_class = TemplateSerializer
    pagination_class = TemplatePagination

    def get_queryset(self):
        query = GalleryQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.gallery_templates(user=self.request.user, filters=query.filters())

    @extend_schema(parameters=[GalleryQuerySerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class TemplateDetailView(APIView):
    @extend_schema(responses=TemplateDetailSerializer)
    def get(self, request, slug):
        template = selectors.get_template_for_user(user=request.user, slug=slug)
        context = {"request": request, "metrics": selectors.metric_summary(template=template)}
        return Response(TemplateDetailSerializer(template, context=context).data)


FavoriteStateSerializer = inline_serializer("FavoriteState", fields={"is_favorite": serializers.BooleanField()})


class FavoriteView(APIView):
    """Add the template to your favourites (POST) or remove it (DELETE). Both are idempotent."""

    @extend_schema(request=None, responses=FavoriteStateSerializer)
    def post(self, request, slug):
        return self._set(request, slug, favorite=True)

    @extend_schema(request=None, responses={200: FavoriteStateSerializer})
    def delete(self, request, slug):
        return self._set(request, slug, favorite=False)

    def _set(self, request, slug, *, favorite: bool):
        template_id = selectors.get_template_id_for_user(user=request.user, slug=slug)
        state = services.set_favorite(user=request.user, template_id=template_id, favorite=favorite)
        return Response({"is_favorite": state})


class CategoryListView(generics.ListAPIView):
    """Active categories in display order."""

    serializer_class = CategorySerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.active_categories()


# -- brand fonts -------------------------------------------------------------------------------


class BrandFontSerializer(serializers.ModelSerializer):
    preview_url = serializers.SerializerMethodField(help_text="A PNG sample of the font (this API, authenticated).")

    class Meta:
        model = BrandFont
        fields = ["id", "family", "weight", "style", "original_name", "size", "sha256", "created_at", "preview_url"]
        read_only_fields = fields

    def get_preview_url(self, font) -> str:
        return reverse("api-brand-font-preview", args=[font.pk])


CONFLICTING_FONT = ("font_exists", "font_limit")


class BrandFontUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A TrueType (.ttf) or OpenType (.otf) font, up to 5 MB.")


class BrandFontListView(APIView):
    """Your uploaded brand fonts (GET), and adding one (POST, multipart with `file`).

    The family, weight and style are read from the file. Once uploaded, the family may be named
    as `heading_font` or `body_font` of the brand kit (/api/v1/me/brand-kit/)."""

    parser_classes = [MultiPartParser, FormParser]
    upload_kind = "font"  # the schema documents the accepted types and limits

    @extend_schema(responses=BrandFontSerializer(many=True))
    def get(self, request):
        fonts = selectors.brand_fonts_for_user(user=request.user)
        return Response(BrandFontSerializer(fonts, many=True).data)

    @extend_schema(
        request={"multipart/form-data": BrandFontUploadSerializer},
        responses={201: BrandFontSerializer},
    )
    @errors(409)
    @idempotent
    def post(self, request):
        upload = BrandFontUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        try:
            font = services.upload_brand_font(user=request.user, upload=upload.validated_data["file"])
        except services.BrandFontError as exc:
            if exc.code in CONFLICTING_FONT:  # the state of your fonts, not the file
                raise ApiError(exc.message, code=exc.code, status_code=status.HTTP_409_CONFLICT) from exc
            raise ApiError(exc.message, code="invalid_font", errors={"file": [exc.message]}) from exc
        return Response(BrandFontSerializer(font).data, status=status.HTTP_201_CREATED)


class BrandFontDetailView(APIView):
    """One of your brand fonts (GET) or deleting it (DELETE). A brand kit that named the family's
    last face goes back to Inter for that role. Someone else's font answers 404."""

    @extend_schema(responses=BrandFontSerializer)
    def get(self, request, font_id):
        return Response(BrandFontSerializer(selectors.get_brand_font_for_user(user=request.user, font_id=font_id)).data)

    @extend_schema(responses={204: None})
    def delete(self, request, font_id):
        try:
            services.delete_brand_font(user=request.user, font_id=font_id)
        except services.BrandFontNotFound as exc:
            raise Http404(exc.message) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)


class BrandFontPreviewView(APIView):
    """A 480 x 270 PNG of the family name and a sample text set in the font."""

    @extend_schema(responses={(200, "image/png"): OpenApiTypes.BINARY})
    def get(self, request, font_id):
        font = selectors.get_brand_font_for_user(user=request.user, font_id=font_id)
        try:
            png = services.render_font_preview(font=font)
        except (services.BrandFontError, OSError) as exc:
            raise Http404("No preview for this font.") from exc
        response = HttpResponse(png, content_type="image/png")
        response["Cache-Control"] = "private, max-age=86400"
        return response
