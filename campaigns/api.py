"""REST API for landing pages (CRUD, components, publish), leads (read, export, delete), the events
summary and webhooks. Every object is looked up through the owner's selectors: others' are 404."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.integrations import webhooks
from campaigns.integrations.models import WebhookDelivery, WebhookEndpoint
from campaigns.leads import selectors as lead_selectors
from campaigns.leads import services as lead_services
from campaigns.pages import selectors, services
from craftplatform.errors import DomainError


class ComponentSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    type = serializers.CharField(source="component_type")
    position = serializers.IntegerField(read_only=True)
    props = serializers.JSONField()


class LandingPageSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(max_length=120)
    slug = serializers.CharField(max_length=60, required=False, allow_blank=True)
    title = serializers.CharField(max_length=120, required=False, allow_blank=True)
    description = serializers.CharField(max_length=300, required=False, allow_blank=True)
    status = serializers.CharField(read_only=True)
    starting_point = serializers.CharField(required=False, allow_blank=True, write_only=True)
    conversion_type = serializers.CharField(required=False)
    conversion_value = serializers.DecimalField(max_digits=12, decimal_places=2, required=False)
    currency = serializers.CharField(required=False)
    lead_retention_days = serializers.IntegerField(required=False)
    notify_owner = serializers.BooleanField(required=False)
    published_version = serializers.SerializerMethodField()
    public_url = serializers.SerializerMethodField()
    components = ComponentSerializer(many=True, read_only=True)

    def get_published_version(self, page) -> int | None:
        return page.published_version.number if page.published_version_id else None

    def get_public_url(self, page) -> str | None:
        handle = self.context.get("handle", "")
        return f"/p/{handle}/{page.slug}/" if handle else None


def _error(exc: DomainError) -> Response:
    body = {"detail": exc.message, "code": "invalid"}
    if getattr(exc, "errors", None):
        body["errors"] = {
            field: [str(m) for m in messages] if isinstance(messages, list | tuple) else [str(messages)]
            for field, messages in exc.errors.items()
        }
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


def _page_response(request, page, code=status.HTTP_200_OK) -> Response:
    page = selectors.get_page_for_user(user=request.user, page_id=page.pk)
    context = {"handle": selectors.handle_for(user=request.user)}
    return Response(LandingPageSerializer(page, context=context).data, status=code)


class EventsSummarySerializer(serializers.Serializer):
    page = serializers.UUIDField()
    views = serializers.IntegerField()
    visitors = serializers.IntegerField()
    clicks = serializers.IntegerField()
    submits = serializers.IntegerField()
    leads = serializers.IntegerField()
    conversion_rate = serializers.FloatField(allow_null=True)
    by_campaign = serializers.ListField(child=serializers.DictField())


class DeliverySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    event = serializers.CharField()
    status = serializers.CharField()
    attempts = serializers.IntegerField()
    last_status_code = serializers.IntegerField(allow_null=True)
    last_response_ms = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField()


class PageListApi(APIView):
    serializer_class = LandingPageSerializer

    @extend_schema(operation_id="pages_list", responses=LandingPageSerializer(many=True))
    def get(self, request):
        pages = selectors.pages_for_user(user=request.user).prefetch_related("components")
        context = {"handle": selectors.handle_for(user=request.user)}
        return Response(LandingPageSerializer(pages, many=True, context=context).data)

    @extend_schema(operation_id="pages_create", request=LandingPageSerializer, responses={201: LandingPageSerializer})
    def post(self, request):
        serializer = LandingPageSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            page = services.create_page(
                user=request.user,
                name=data["name"],
                slug=data.get("slug", ""),
                starting_point=data.get("starting_point", ""),
            )
        except DomainError as exc:
            return _error(exc)
        return _page_response(request, page, status.HTTP_201_CREATED)


class PageDetailApi(APIView):
    serializer_class = LandingPageSerializer

    def get(self, request, page_id):
        return _page_response(request, selectors.get_page_for_user(user=request.user, page_id=page_id))

    def patch(self, request, page_id):
        page = selectors.get_page_for_user(user=request.user, page_id=page_id)
        serializer = LandingPageSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        try:
            services.update_page_settings(page=page, data=dict(serializer.validated_data))
        except DomainError as exc:
            return _error(exc)
        return _page_response(request, page)

    def delete(self, request, page_id):
        services.delete_page(page=selectors.get_page_for_user(user=request.user, page_id=page_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ComponentAddSerializer(serializers.Serializer):
    type = serializers.CharField(
        help_text="hero, text_image, features, testimonials, offer, faq, form, cta, header, footer"
    )
    props = serializers.JSONField(required=False, help_text="The component's properties (its schema is per type).")
    position = serializers.IntegerField(required=False, min_value=0)


class ComponentChangeSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    props = serializers.JSONField()


class ComponentRemoveSerializer(serializers.Serializer):
    id = serializers.UUIDField()


class PageComponentsApi(APIView):
    """POST adds one component ({type, props, position?}); PUT replaces a component's props ({id, props});
    DELETE removes one ({id}); all validated by the component schemas."""

    serializer_class = LandingPageSerializer

    @extend_schema(request=ComponentAddSerializer, responses={201: LandingPageSerializer})
    def post(self, request, page_id):
        page = selectors.get_page_for_user(user=request.user, page_id=page_id)
        if not isinstance(request.data, dict) or not isinstance(request.data.get("type"), str):
            return Response({"detail": "Give the component's type.", "code": "invalid"}, status=400)
        position = request.data.get("position")
        try:
            services.add_component(
                page=page,
                component_type=request.data["type"],
                props=request.data.get("props"),
                position=position if isinstance(position, int) else None,
            )
        except DomainError as exc:
            return _error(exc)
        return _page_response(request, page, status.HTTP_201_CREATED)

    @extend_schema(request=ComponentChangeSerializer, responses=LandingPageSerializer)
    def put(self, request, page_id):
        page = selectors.get_page_for_user(user=request.user, page_id=page_id)
        component = get_object_or_404(page.components, pk=request.data.get("id"))
        try:
            services.update_component(component=component, props=request.data.get("props"))
        except DomainError as exc:
            return _error(exc)
        return _page_response(request, page)

    @extend_schema(request=ComponentRemoveSerializer, responses=LandingPageSerializer)
    def delete(self, request, page_id):
        page = selectors.get_page_for_user(user=request.user, page_id=page_id)
        component = get_object_or_404(page.components, pk=request.data.get("id"))
        services.remove_component(component=component)
        return _page_response(request, page)


class PagePublishApi(APIView):
    serializer_class = LandingPageSerializer

    @extend_schema(request=None, responses=LandingPageSerializer)
    def post(self, request, page_id, action):
        page = selectors.get_page_for_user(user=request.user, page_id=page_id)
        try:
            if action == "publish":
                services.publish_page(page=page, by=request.user)
            else:
                services.unpublish_page(page=page)
        except DomainError as exc:
            return _error(exc)
        return _page_response(request, page)


class PageEventsSummaryApi(APIView):
    serializer_class = EventsSummarySerializer

    def get(self, request, page_id):
        page = selectors.get_page_for_user(user=request.user, page_id=page_id)
        stats = selectors.page_stats(user=request.user, page_ids=[page.pk]).get(page.pk, {})
        return Response(
            {
                "page": str(page.pk),
                **stats,
                "by_campaign": [
                    {**row, "value": str(row["value"])}
                    for row in lead_selectors.conversions_by_campaign(user=request.user, page_id=page.pk)
                ],
            }
        )


class LeadSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    page = serializers.UUIDField(source="page_id")
    created_at = serializers.DateTimeField()
    name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()
    message = serializers.CharField()
    custom_fields = serializers.JSONField()
    attribution = serializers.SerializerMethodField()

    def get_attribution(self, lead) -> dict | None:
        conversion = getattr(lead, "conversion", None)
        if conversion is None:
            return None
        keys = (
            "conversion_type",
            "currency",
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "utm_content",
            "utm_term",
            "fbclid",
            "campaign_ref",
            "ad_ref",
            "creative_ref",
            "version_number",
        )
        return {"value": str(conversion.value), **{key: getattr(conversion, key) for key in keys}}


class LeadListApi(APIView):
    serializer_class = LeadSerializer

    @extend_schema(operation_id="leads_list", responses=LeadSerializer(many=True))
    def get(self, request):
        leads = lead_selectors.leads_for_user(user=request.user, page_id=request.query_params.get("page") or None)[:500]
        return Response(LeadSerializer(leads, many=True).data)


class LeadDetailApi(APIView):
    serializer_class = LeadSerializer

    def get(self, request, lead_id):
        return Response(LeadSerializer(lead_selectors.get_lead_for_user(user=request.user, lead_id=lead_id)).data)

    def delete(self, request, lead_id):
        lead_services.delete_lead(lead=lead_selectors.get_lead_for_user(user=request.user, lead_id=lead_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class LeadExportApi(APIView):
    serializer_class = LeadSerializer

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request):
        body = lead_services.leads_csv(lead_selectors.leads_for_user(user=request.user).iterator(chunk_size=500))
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="leads-{timezone.now():%Y-%m-%d}.csv"'
        return response


class WebhookSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    url = serializers.CharField(max_length=1000)
    events = serializers.ListField(child=serializers.CharField())
    description = serializers.CharField(required=False, allow_blank=True)
    is_active = serializers.BooleanField(read_only=True)


class WebhookListApi(APIView):
    serializer_class = WebhookSerializer

    @extend_schema(operation_id="webhooks_list", responses=WebhookSerializer(many=True))
    def get(self, request):
        return Response(WebhookSerializer(WebhookEndpoint.objects.filter(user=request.user), many=True).data)

    def post(self, request):
        serializer = WebhookSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            endpoint = webhooks.create_endpoint(user=request.user, **serializer.validated_data)
        except DomainError as exc:
            return _error(exc)
        # The signing secret is returned once, here, and never again.
        return Response({**WebhookSerializer(endpoint).data, "secret": endpoint.secret}, status=201)


class WebhookDetailApi(APIView):
    serializer_class = WebhookSerializer

    def delete(self, request, endpoint_id):
        get_object_or_404(WebhookEndpoint, pk=endpoint_id, user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookDeliveriesApi(APIView):
    serializer_class = DeliverySerializer

    @extend_schema(operation_id="webhooks_deliveries_list", responses=DeliverySerializer(many=True))
    def get(self, request, endpoint_id):
        endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id, user=request.user)
        rows = endpoint.deliveries.order_by("-created_at")[:100]
        return Response(
            [
                {
                    "id": str(d.pk),
                    "event": d.event,
                    "event_id": d.event_id,
                    "status": d.status,
                    "attempts": d.attempts,
                    "last_status_code": d.last_status_code,
                    "last_response_ms": d.last_response_ms,
                    "last_error": d.last_error,
                    "created_at": d.created_at.isoformat(),
                    "replay_of": str(d.replay_of_id) if d.replay_of_id else None,
                }
                for d in rows
            ]
        )


class DeliveryReplayApi(APIView):
    serializer_class = DeliverySerializer

    @extend_schema(
        request=None,
        responses={
            202: inline_serializer(
                "DeliveryReplayed", {"id": serializers.UUIDField(), "status": serializers.CharField()}
            )
        },
    )
    def post(self, request, delivery_id):
        delivery = get_object_or_404(WebhookDelivery, pk=delivery_id, endpoint__user=request.user)
        copy = webhooks.replay(delivery=delivery)
        return Response({"id": str(copy.pk), "status": copy.status}, status=202)
