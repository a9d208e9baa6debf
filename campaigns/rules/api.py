"""REST API of optimisation rules: CRUD, backtest, the log, approve / reject / undo."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.publishing import selectors as publishing_selectors
from campaigns.rules import engine, explanations, selectors, services
from campaigns.rules.models import OptimizationLog, OptimizationRule, RuleAction, RuleLevel, RuleMode
from craftplatform.api_schema import errors


class ConditionSerializer(serializers.Serializer):
    metric = serializers.ChoiceField(choices=list(engine.METRICS))
    operator = serializers.ChoiceField(choices=list(engine.OPERATORS))
    value = serializers.DecimalField(max_digits=14, decimal_places=4)
    days = serializers.IntegerField(min_value=1, max_value=engine.MAX_WINDOW_DAYS)


class RuleSerializer(serializers.ModelSerializer):
    conditions = ConditionSerializer(many=True)
    level = serializers.ChoiceField(choices=RuleLevel.choices)
    action = serializers.ChoiceField(choices=RuleAction.choices)
    mode = serializers.ChoiceField(choices=RuleMode.choices)

    class Meta:
        model = OptimizationRule
        fields = [
            "id",
            "campaign",
            "name",
            "level",
            "conditions",
            "min_spend",
            "min_impressions",
            "action",
            "change_percent",
            "budget_floor",
            "budget_ceiling",
            "daily_change_cap_percent",
            "cooldown_hours",
            "mode",
            "enabled",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]


class LogSerializer(serializers.ModelSerializer):
    class Meta:
        model = OptimizationLog
        fields = [
            "id",
            "rule",
            "rule_name",
            "campaign",
            "asset",
            "day",
            "metrics",
            "action",
            "before",
            "after",
            "status",
            "meta_response",
            "approved_by",
            "applied_at",
            "undone_at",
            "explanation",
            "explanation_by",
            "explained_at",
            "created_at",
        ]
        read_only_fields = fields


def _data(validated: dict) -> dict:
    data = {k: v for k, v in validated.items() if k != "campaign"}
    data["conditions"] = [{**c, "value": str(c["value"])} for c in validated["conditions"]]
    return data


def _refused(exc: services.RuleError) -> Response:
    return Response(
        {"detail": exc.message, "code": "invalid_rule", "errors": exc.errors}, status=status.HTTP_400_BAD_REQUEST
    )


class RuleListView(APIView):
    @extend_schema(responses=RuleSerializer(many=True))
    def get(self, request):
        return Response(RuleSerializer(selectors.rules_for(request.user), many=True).data)

    @extend_schema(request=RuleSerializer, responses={201: RuleSerializer})
    @errors(404)
    def post(self, request):
        incoming = RuleSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        campaign = publishing_selectors.get_campaign_for_user(request.user, incoming.validated_data["campaign"].pk)
        try:
            rule = services.save_rule(user=request.user, campaign=campaign, data=_data(incoming.validated_data))
        except services.RuleError as exc:
            return _refused(exc)
        return Response(RuleSerializer(rule).data, status=status.HTTP_201_CREATED)


class RuleDetailView(APIView):
    @extend_schema(responses=RuleSerializer)
    def get(self, request, rule_id):
        return Response(RuleSerializer(selectors.get_rule_for_user(request.user, rule_id)).data)

    @extend_schema(request=RuleSerializer, responses=RuleSerializer)
    def put(self, request, rule_id):
        rule = selectors.get_rule_for_user(request.user, rule_id)
        incoming = RuleSerializer(data={**request.data, "campaign": str(rule.campaign_id)})
        incoming.is_valid(raise_exception=True)
        try:
            rule = services.save_rule(
                user=request.user, campaign=rule.campaign, data=_data(incoming.validated_data), rule=rule
            )
        except services.RuleError as exc:
            return _refused(exc)
        return Response(RuleSerializer(rule).data)

    @extend_schema(responses={204: None})
    def delete(self, request, rule_id):
        selectors.get_rule_for_user(request.user, rule_id).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class RuleBacktestView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("days", OpenApiTypes.INT, enum=[30, 60, 90], description="Days back (30, 60, 90).")
        ],
        responses=inline_serializer(
            "BacktestFiring",
            {
                "day": serializers.DateField(),
                "object": serializers.CharField(),
                "change": serializers.CharField(),
                "metrics": serializers.DictField(),
            },
            many=True,
        ),
    )
    def get(self, request, rule_id):
        rule = selectors.get_rule_for_user(request.user, rule_id)
        days = request.query_params.get("days", "30")
        if days not in {"30", "60", "90"}:
            return Response(
                {"detail": "days is 30, 60 or 90.", "code": "invalid", "errors": {"days": ["30, 60 or 90."]}},
                status=status.HTTP_400_BAD_REQUEST,
            )
        firings = services.backtest(rule=rule, days=int(days))
        return Response(
            [{"day": f.day, "object": f.object_label, "change": f.change, "metrics": f.metrics} for f in firings]
        )


class LogListView(APIView):
    @extend_schema(responses=LogSerializer(many=True))
    def get(self, request):
        return Response(LogSerializer(selectors.logs_for(request.user)[:200], many=True).data)


class LogActionView(APIView):
    action = "approve"

    @extend_schema(request=None, responses=LogSerializer)
    def post(self, request, log_id):
        log = selectors.get_log_for_user(request.user, log_id)
        handler = {"approve": services.approve, "reject": services.reject, "undo": services.undo}[self.action]
        try:
            log = handler(log=log, user=request.user)
        except services.RuleError as exc:
            return Response({"detail": exc.message, "code": "conflict"}, status=status.HTTP_409_CONFLICT)
        return Response(LogSerializer(log).data)


class LogExplainView(APIView):
    @extend_schema(
        request=None,
        responses=LogSerializer,
        description=(
            "A plain-words explanation of a suggestion, written by the installation's AI chat provider from "
            "the numbers (once: an explained suggestion answers its explanation). 409 `conflict` when the log is "
            "not a suggestion waiting for approval, 409 `ai_unavailable` when no AI provider is set up, 503 "
            "`ai_failed` when the provider failed (the suggestion is unchanged)."
        ),
    )
    @errors(409, 503)
    def post(self, request, log_id):
        log = selectors.get_log_for_user(request.user, log_id)
        try:
            log = explanations.explain_suggestion(log=log, user=request.user)
        except explanations.ExplanationError as exc:
            code = status.HTTP_503_SERVICE_UNAVAILABLE if exc.code == "ai_failed" else status.HTTP_409_CONFLICT
            return Response({"detail": exc.message, "code": exc.code}, status=code)
        return Response(LogSerializer(log).data)
