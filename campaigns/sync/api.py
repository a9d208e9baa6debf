"""REST API of the performance sync: performance rows (filtered, paginated) and sync runs (list, request)."""

from __future__ import annotations

import uuid

from django.utils.dateparse import parse_date
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.sync import selectors, services
from campaigns.sync.models import Breakdown, PerformanceRecord, SyncRun
from craftplatform.api_schema import errors


class PerformanceRecordSerializer(serializers.ModelSerializer):
    template = serializers.UUIDField(source="campaign_asset.generation.template_id", read_only=True, default=None)
    generation = serializers.UUIDField(source="campaign_asset.generation_id", read_only=True, default=None)

    class Meta:
        model = PerformanceRecord
        fields = [
            "id",
            "ad_account",
            "campaign",
            "campaign_asset",
            "generation",
            "template",
            "meta_campaign_id",
            "meta_adset_id",
            "meta_ad_id",
            "date",
            "breakdown",
            "publisher_platform",
            "platform_position",
            "age",
            "gender",
            "attribution_setting",
            "currency",
            "impressions",
            "reach",
            "frequency",
            "clicks",
            "inline_link_clicks",
            "spend",
            "actions",
            "action_values",
            "conversions",
            "conversion_value",
            "ctr",
            "cpc",
            "cpa",
            "roas",
            "updated_at",
        ]
        read_only_fields = fields


class SyncRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = SyncRun
        fields = [
            "id",
            "ad_account",
            "kind",
            "status",
            "since",
            "until",
            "rows_fetched",
            "rows_inserted",
            "rows_updated",
            "rows_unchanged",
            "rate_limit_waits",
            "duration_ms",
            "error_message",
            "created_at",
            "completed_at",
        ]
        read_only_fields = fields


class SyncRequestSerializer(serializers.Serializer):
    ad_account = serializers.UUIDField(help_text="The CraftAds id of one of your ad accounts.")


FILTERS = [
    OpenApiParameter("campaign", OpenApiTypes.UUID, description="Only this campaign's rows."),
    OpenApiParameter("since", OpenApiTypes.DATE, description="First day (YYYY-MM-DD)."),
    OpenApiParameter("until", OpenApiTypes.DATE, description="Last day (YYYY-MM-DD)."),
    OpenApiParameter("breakdown", OpenApiTypes.STR, enum=Breakdown.values, description="placement or demographic."),
]


class PerformanceListView(generics.ListAPIView):
    serializer_class = PerformanceRecordSerializer

    @extend_schema(parameters=FILTERS)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        rows = selectors.records_for(self.request.user).order_by("-date", "meta_ad_id", "id")
        params = self.request.query_params
        errors = {}
        if params.get("campaign"):
            try:
                rows = rows.filter(campaign_id=uuid.UUID(params["campaign"]))
            except ValueError:
                errors["campaign"] = ["Not a campaign id."]
        for name, lookup in (("since", "date__gte"), ("until", "date__lte")):
            if params.get(name):
                value = parse_date(params[name]) if len(params[name]) == 10 else None
                if value is None:
                    errors[name] = ["A date is written YYYY-MM-DD."]
                else:
                    rows = rows.filter(**{lookup: value})
        if params.get("breakdown"):
            if params["breakdown"] not in Breakdown.values:
                errors["breakdown"] = [f"One of: {', '.join(Breakdown.values)}."]
            rows = rows.filter(breakdown=params["breakdown"])
        if errors:
            raise ValidationError(errors)
        return rows


class SyncRunListView(APIView):
    @extend_schema(responses=SyncRunSerializer(many=True))
    def get(self, request):
        return Response(SyncRunSerializer(selectors.sync_runs_for(request.user)[:100], many=True).data)

    @extend_schema(request=SyncRequestSerializer, responses={202: SyncRunSerializer})
    @errors(404, 409)
    def post(self, request):
        data = SyncRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ad_account = selectors.ad_account_for_user(request.user, data.validated_data["ad_account"])
        try:
            run, _ = services.sync_now(user=request.user, ad_account=ad_account)
        except services.SyncError as exc:
            if exc.code == "rate_limited":
                return Response({"detail": exc.message, "code": "throttled"}, status=status.HTTP_429_TOO_MANY_REQUESTS)
            return Response({"detail": exc.message, "code": exc.code}, status=status.HTTP_409_CONFLICT)
        return Response(SyncRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)
