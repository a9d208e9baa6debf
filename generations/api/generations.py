"""REST API: request generations (and price them first), follow their status, ask for variations."""

import uuid

from django.conf import settings
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.idempotency import idempotent
from craftplatform.api_schema import errors
from generations import selectors
from generations.api import library, waiting
from generations.models import VariationKind
from generations.services import cancel as cancel_services
from generations.services import generation as generation_services
from templates_app.models import AdTemplate
from templates_app.spec import FORMAT_KEYS


class GenerationRequestSerializer(serializers.Serializer):
    template = serializers.CharField(help_text="The template's slug or id.")
    formats = serializers.ListField(child=serializers.ChoiceField(choices=FORMAT_KEYS), min_length=1)
    texts = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False, default=dict)
    colors = serializers.DictField(child=serializers.CharField(), required=False, default=dict)
    images = serializers.DictField(
        child=serializers.UUIDField(), required=False, default=dict, help_text="Image slot → id of one of your images."
    )
    count = serializers.IntegerField(min_value=1, default=1)
    ai_copy = serializers.BooleanField(default=False)
    ai_background = serializers.BooleanField(default=False)
    ai_prompt = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
    output_format = serializers.ChoiceField(choices=list(generation_services.OUTPUT_FORMATS), default="png")
    quality = serializers.IntegerField(min_value=50, max_value=100, default=90)
    request_key = serializers.CharField(
        required=False, allow_blank=True, max_length=80, help_text="Send the same key again to get the same result."
    )

    def validate_count(self, value):
        if value > settings.GENERATION_MAX_VARIATIONS:
            raise serializers.ValidationError(f"At most {settings.GENERATION_MAX_VARIATIONS} versions at once.")
        return value

    def validate_template(self, value):
        templates = AdTemplate.objects.filter(is_active=True)
        template = templates.filter(slug=value).first()
        if template is None:
            try:
                template = templates.filter(pk=uuid.UUID(value)).first()
            except ValueError:
                template = None
        if template is None:
            raise serializers.ValidationError("No active template with that slug or id.")
        return template

    def to_request(self) -> generation_services.GenerationRequest:
        data = self.validated_data
        return generation_services.GenerationRequest(
            template_id=data["template"].pk,
            formats=data["formats"],
            texts=data["texts"],
            colors=data["colors"],
            image_asset_ids={slot: str(asset_id) for slot, asset_id in data["images"].items()},
            count=data["count"],
            ai_copy=data["ai_copy"],
            ai_background=data["ai_background"],
            ai_prompt=data["ai_prompt"],
            output_format=data["output_format"],
            quality=data["quality"],
            request_key=data.get("request_key") or None,
        )


def _serialised(request, ids: list) -> list[dict]:
    rows = {row.pk: row for row in selectors.generations_with_results(user=request.user, ids=ids)}
    return library.GenerationSerializer([rows[pk] for pk in ids], many=True, context={"request": request}).data


class WaitSerializer(serializers.Serializer):
    wait = serializers.IntegerField(
        min_value=0,
        max_value=waiting.MAX_WAIT_SECONDS,
        default=0,
        help_text=f"Seconds (0 to {waiting.MAX_WAIT_SECONDS}) to wait for the files: 201 with them when the job "
        "finishes in time, else 202 with the status URL. 0 (the default) answers at once with 201 and the queued "
        "generations.",
    )


PendingSerializer = inline_serializer(
    "GenerationsPending",
    {
        "detail": serializers.CharField(),
        "status_urls": serializers.ListField(child=serializers.URLField(), help_text="Poll these for progress."),
        "generations": library.GenerationSerializer(many=True),
    },
)


class GenerationCollectionView(library.GenerationListView):
    """GET: your generations (filters as query parameters). POST: request new ones."""

    @extend_schema(
        request=GenerationRequestSerializer,
        parameters=[WaitSerializer],
        responses={201: library.GenerationSerializer(many=True), 202: PendingSerializer},
    )
    @errors(402)
    @idempotent
    def post(self, request):
        wait = WaitSerializer(data=request.query_params)
        wait.is_valid(raise_exception=True)
        seconds = wait.validated_data["wait"]
        serializer = GenerationRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        created = generation_services.request_generation(user=request.user, request=serializer.to_request())
        ids = [generation.pk for generation in created]
        if seconds and not waiting.wait_until_finished(ids=ids, timeout=seconds):
            urls = [request.build_absolute_uri(reverse("api-generation-status", args=[pk])) for pk in ids]
            body = {
                "detail": f"Still being made after {seconds} s; follow status_urls.",
                "status_urls": urls,
                "generations": _serialised(request, ids),
            }
            return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": urls[0], "Retry-After": "1"})
        return Response(_serialised(request, ids), status=status.HTTP_201_CREATED)


class PriceSerializer(serializers.Serializer):
    formats = serializers.ListField(child=serializers.ChoiceField(choices=FORMAT_KEYS), min_length=1)
    count = serializers.IntegerField(min_value=1, default=1)
    ai_copy = serializers.BooleanField(default=False)
    ai_background = serializers.BooleanField(default=False)


class GenerationPriceView(APIView):
    """What a generation request would cost you now, and whether you may make it."""

    @extend_schema(request=PriceSerializer, responses={200: OpenApiTypes.OBJECT})
    def post(self, request):
        serializer = PriceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        price = generation_services.price_generation(
            user=request.user,
            format_count=len(data["formats"]),
            count=data["count"],
            ai_copy=data["ai_copy"],
            ai_background=data["ai_background"],
        )
        return Response(
            {
                "total": price.total,
                "available": price.available,
                "allowed": price.allowed,
                "reason": price.reason,
                "lines": [
                    {"operation": line.operation, "label": line.label, "quantity": line.quantity,
                     "unit_cost": line.unit_cost, "total": line.total}
                    for line in price.lines
                ],
            }
        )  # fmt: skip


class GenerationStatusView(APIView):
    """Where a generation is: queued (and its place in the queue), processing per format, done or failed."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, generation_id):
        generation = selectors.get_generation_for_user(user=request.user, generation_id=generation_id)
        return Response(selectors.status_payload(generation), headers={"Cache-Control": "no-store"})


class VariationSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=VariationKind.choices)
    request_key = serializers.CharField(required=False, allow_blank=True, max_length=80)


class GenerationVariationView(APIView):
    """More like this: a new seed (new AI background), a palette variant or a copy variant."""

    @extend_schema(request=VariationSerializer, responses={201: library.GenerationSerializer})
    @errors(402)
    @idempotent
    def post(self, request, generation_id):
        generation = selectors.get_generation_for_user(user=request.user, generation_id=generation_id)
        serializer = VariationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        child = generation_services.request_variation(
            user=request.user,
            generation_id=generation.pk,
            kind=serializer.validated_data["kind"],
            request_key=serializer.validated_data.get("request_key") or None,
        )
        return Response(_serialised(request, [child.pk])[0], status=status.HTTP_201_CREATED)


class GenerationCancelView(APIView):
    """Cancel a generation that has not started: its held credits go back, no files are made, and its
    status becomes "cancelled". Cancelling it again answers the same; a generation already running or
    finished is refused with 409 (`job_running`, `job_finished`)."""

    @extend_schema(request=None, responses={200: library.GenerationSerializer})
    @errors(409)
    def post(self, request, generation_id):
        generation = cancel_services.cancel_generation(user=request.user, generation_id=generation_id)
        return Response(_serialised(request, [generation.pk])[0])
