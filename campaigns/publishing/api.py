"""REST API of campaigns: drafts (create, read, change by wizard step, delete), creatives, review,
publish, runs (resume, delete what was created) and changes once published. Same rules as the pages:
the services check everything; another user's objects answer 404."""

from __future__ import annotations

from django.db import transaction
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.connections.models import MetaAdAccount, MetaPage
from campaigns.publishing import controls, forms, selectors, services
from campaigns.publishing.models import Campaign, CampaignAsset, CampaignStatus, PublishRun, PublishStep


def _refused(exc: services.CampaignError) -> Response:
    body = {"detail": exc.message, "code": "invalid"}
    if exc.errors:
        body["errors"] = {field: [str(message)] for field, message in exc.errors.items()}
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


class CampaignAssetSerializer(serializers.ModelSerializer):
    class Meta:
        model = CampaignAsset
        fields = [
            "id",
            "generation",
            "formats",
            "primary_text",
            "headline",
            "description",
            "call_to_action",
            "destination_url",
            "utm",
            "ad_name",
            "meta_creative_id",
            "meta_ad_id",
        ]
        read_only_fields = fields


class CampaignSerializer(serializers.ModelSerializer):
    assets = CampaignAssetSerializer(many=True, read_only=True)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "wizard_step",
            "objective",
            "special_ad_categories",
            "ad_account",
            "page",
            "budget_type",
            "budget_level",
            "budget_amount",
            "currency",
            "start_time",
            "end_time",
            "targeting",
            "placements_mode",
            "placements",
            "naming_pattern",
            "status",
            "delivery_status",
            "meta_campaign_id",
            "meta_adset_id",
            "spend",
            "last_publish_result",
            "assets",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class StepSerializer(serializers.ModelSerializer):
    class Meta:
        model = PublishStep
        fields = ["position", "kind", "label", "status", "meta_id", "reused", "error_message"]
        read_only_fields = fields


class RunSerializer(serializers.ModelSerializer):
    state = serializers.CharField(read_only=True)
    steps = StepSerializer(many=True, read_only=True)

    class Meta:
        model = PublishRun
        fields = [
            "id",
            "campaign",
            "kind",
            "state",
            "status",
            "initial_status",
            "attempts",
            "retry_at",
            "error_step",
            "meta_error_code",
            "error_message",
            "error_hint",
            "credits_quoted",
            "created_at",
            "completed_at",
            "steps",
        ]
        read_only_fields = fields


class GoalInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    objective = serializers.ChoiceField(choices=[c[0] for c in forms.GoalForm.base_fields["objective"].choices])
    special_ad_categories = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    ad_account = serializers.UUIDField(required=False, allow_null=True)
    page = serializers.UUIDField(required=False, allow_null=True)


class BudgetInput(serializers.Serializer):
    budget_type = serializers.ChoiceField(choices=["daily", "lifetime"])
    budget_level = serializers.ChoiceField(choices=["campaign", "adset"])
    amount = serializers.IntegerField(min_value=1, help_text="Minor units of the currency (cents).")
    currency = serializers.CharField(min_length=3, max_length=3)
    start_time = serializers.DateTimeField()
    end_time = serializers.DateTimeField(required=False, allow_null=True)


class PlacementsInput(serializers.Serializer):
    mode = serializers.ChoiceField(choices=["automatic", "manual"])
    placements = serializers.ListField(
        child=serializers.ChoiceField(choices=list(forms.rules.PLACEMENTS)), required=False, default=list
    )


class CreativeInput(serializers.Serializer):
    generation = serializers.UUIDField()
    formats = serializers.ListField(child=serializers.CharField(), required=False)
    primary_text = serializers.CharField(max_length=2000)
    headline = serializers.CharField(max_length=255, required=False, default="", allow_blank=True)
    description = serializers.CharField(max_length=255, required=False, default="", allow_blank=True)
    call_to_action = serializers.CharField(max_length=40, default="LEARN_MORE")
    destination_url = serializers.CharField(max_length=1000)
    utm = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False, default=dict)


class CampaignChangeInput(serializers.Serializer):
    goal = GoalInput(required=False)
    budget = BudgetInput(required=False)
    audience = serializers.DictField(
        required=False,
        help_text="Targeting: countries, regions, cities, age_min, age_max, genders, interests, advantage_audience.",
    )
    placements = PlacementsInput(required=False)
    naming_pattern = serializers.CharField(required=False, max_length=200)


def _owned(user, model, pk):
    if pk is None:
        return None
    found = model.objects.filter(pk=pk, connection__user=user).select_related("connection").first()
    if found is None:
        raise services.CampaignError("Not one of yours.", {model._meta.model_name: "Not one of yours."})
    return found


def apply_changes(user, campaign: Campaign, data: dict) -> None:
    if "goal" in data:
        goal = data["goal"]
        services.save_goal(
            campaign=campaign,
            name=goal["name"],
            objective=goal["objective"],
            special_ad_categories=goal["special_ad_categories"],
            ad_account=_owned(user, MetaAdAccount, goal.get("ad_account")),
            page=_owned(user, MetaPage, goal.get("page")),
        )
    if "budget" in data:
        b = data["budget"]
        services.save_budget(
            campaign=campaign,
            budget_type=b["budget_type"],
            budget_level=b["budget_level"],
            amount=b["amount"],
            currency=b["currency"],
            start=b["start_time"],
            end=b.get("end_time"),
        )
    if "audience" in data:
        services.save_audience(campaign=campaign, targeting=data["audience"])
    if "placements" in data:
        services.save_placements(
            campaign=campaign, mode=data["placements"]["mode"], placements=data["placements"]["placements"]
        )
    if "naming_pattern" in data:
        services.save_naming(campaign=campaign, pattern=data["naming_pattern"])


class CampaignListView(APIView):
    @extend_schema(responses=CampaignSerializer(many=True))
    def get(self, request):
        return Response(
            CampaignSerializer(selectors.campaigns_for(request.user).prefetch_related("assets"), many=True).data
        )

    @extend_schema(request=CampaignChangeInput, responses=CampaignSerializer)
    def post(self, request):
        changes = CampaignChangeInput(data=request.data)
        changes.is_valid(raise_exception=True)
        try:
            with transaction.atomic():  # bad input in any part: no draft is left behind
                campaign = services.create_draft(user=request.user, name=str(request.data.get("name", "")))
                apply_changes(request.user, campaign, changes.validated_data)
        except services.CampaignError as exc:
            return _refused(exc)
        return Response(CampaignSerializer(campaign).data, status=status.HTTP_201_CREATED)


class CampaignDetailView(APIView):
    @extend_schema(responses=CampaignSerializer)
    def get(self, request, campaign_id):
        return Response(CampaignSerializer(selectors.get_campaign_for_user(request.user, campaign_id)).data)

    @extend_schema(request=CampaignChangeInput, responses=CampaignSerializer)
    def patch(self, request, campaign_id):
        campaign = selectors.get_campaign_for_user(request.user, campaign_id)
        changes = CampaignChangeInput(data=request.data)
        changes.is_valid(raise_exception=True)
        try:
            with transaction.atomic():
                apply_changes(request.user, campaign, changes.validated_data)
        except services.CampaignError as exc:
            return _refused(exc)
        campaign.refresh_from_db()
        return Response(CampaignSerializer(campaign).data)

    @extend_schema(responses={204: None})
    def delete(self, request, campaign_id):
        campaign = selectors.get_campaign_for_user(request.user, campaign_id)
        if campaign.status != CampaignStatus.DRAFT:
            return Response({"detail": "Only a draft can be deleted; archive a published campaign."}, status=400)
        campaign.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class CampaignCreativesView(APIView):
    @extend_schema(request=CreativeInput, responses=CampaignAssetSerializer)
    def post(self, request, campaign_id):
        campaign = selectors.get_campaign_for_user(request.user, campaign_id)
        data = CreativeInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        try:
            asset = services.add_creative(campaign=campaign, generation_id=d["generation"], formats=d.get("formats"))
            asset = services.save_creative_copy(
                asset=asset,
                primary_text=d["primary_text"],
                headline=d["headline"],
                description=d["description"],
                call_to_action=d["call_to_action"],
                destination_url=d["destination_url"],
                utm=d["utm"],
                formats=d.get("formats") or asset.formats,
            )
        except services.CreativeNotFound as exc:
            raise Http404("No such creative.") from exc
        except services.CampaignError as exc:
            return _refused(exc)
        return Response(CampaignAssetSerializer(asset).data, status=status.HTTP_201_CREATED)


class CampaignReviewView(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, campaign_id):
        campaign = selectors.get_campaign_for_user(request.user, campaign_id)
        plan, problems = services.review(campaign=campaign)
        return Response(
            {
                "counts": plan.counts,
                "total_budget": plan.total_budget,
                "currency": campaign.currency,
                "start_time": campaign.start_time,
                "end_time": campaign.end_time,
                "initial_status": "PAUSED",
                "problems": problems,
                "ready": not problems,
            }
        )


class CampaignPublishView(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=RunSerializer)
    def post(self, request, campaign_id):
        campaign = selectors.get_campaign_for_user(request.user, campaign_id)
        try:
            run = services.request_publish(
                user=request.user, campaign=campaign, activate=bool(request.data.get("activate", False))
            )
        except services.CampaignError as exc:
            return _refused(exc)
        return Response(RunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class CampaignControlView(APIView):
    """POST {"action": "pause" | "activate" | "archive"} or {"budget_amount": minor units} or {"end_time": ...}."""

    @extend_schema(request=OpenApiTypes.OBJECT, responses=CampaignSerializer)
    def post(self, request, campaign_id):
        campaign = selectors.get_campaign_for_user(request.user, campaign_id)
        try:
            if "action" in request.data:
                controls.change_status(
                    campaign=campaign, actor=request.user, action=str(request.data["action"]), request=request
                )
            elif "budget_amount" in request.data:
                amount = serializers.IntegerField(min_value=1).run_validation(request.data["budget_amount"])
                controls.change_budget(campaign=campaign, actor=request.user, amount=amount, request=request)
            elif "end_time" in request.data:
                end = serializers.DateTimeField(allow_null=True).run_validation(request.data["end_time"])
                controls.change_end_time(campaign=campaign, actor=request.user, end=end, request=request)
            else:
                return Response({"detail": "Send action, budget_amount or end_time."}, status=400)
        except services.CampaignError as exc:
            return _refused(exc)
        campaign.refresh_from_db()
        return Response(CampaignSerializer(campaign).data)


class CampaignRunsView(APIView):
    @extend_schema(responses=RunSerializer(many=True))
    def get(self, request, campaign_id):
        campaign = selectors.get_campaign_for_user(request.user, campaign_id)
        return Response(RunSerializer(selectors.runs_of(campaign), many=True).data)


class RunDetailView(APIView):
    @extend_schema(responses=RunSerializer)
    def get(self, request, run_id):
        return Response(RunSerializer(selectors.get_run_for_user(request.user, run_id)).data)


class RunActionView(APIView):
    action = "resume"

    @extend_schema(request=None, responses=RunSerializer)
    def post(self, request, run_id):
        run = selectors.get_run_for_user(request.user, run_id)
        try:
            if self.action == "resume":
                services.resume_publish(user=request.user, run=run)
            else:
                services.delete_created(user=request.user, run=run)
        except services.CampaignError as exc:
            return _refused(exc)
        except PublishRun.DoesNotExist as exc:
            raise Http404 from exc
        run.refresh_from_db()
        return Response(RunSerializer(run).data, status=status.HTTP_202_ACCEPTED)
