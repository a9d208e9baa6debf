"""REST API: request generations (and price them first), follow their status, ask for variations."""

import uuid

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from credits.errors import CreditError
from generations import selectors
from generations.api import library
from generations.errors import InvalidGenerationRequest, RequestKeyConflict
from generations.models import VariationKind
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


def _problems(exc: InvalidGenerationRequest) -> Response:
    return Response({"detail": exc.message, "errors": exc.problems}, status=status.HTTP_400_BAD_REQUEST)


def _no_credits(exc: CreditError) -> Response:
    return Response({"detail": exc.message, "code": exc.code}, status=status.HTTP_402_PAYMENT_REQUIRED)


class GenerationCollectionView(library.GenerationListView):
    """GET: your generations (filters as query parameters). POST: request new ones."""

    @extend_schema(request=GenerationRequestSerializer, responses={201: library.GenerationSerializer(many=True)})
    def post(self, request):
        serializer = GenerationRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            created = generation_services.request_generation(user=request.user, request=serializer.to_request())
        except InvalidGenerationRequest as exc:
            return _problems(exc)
        except CreditError as exc:
            return _no_credits(exc)
        except RequestKeyConflict as exc:
            return Response({"detail": exc.message, "code": exc.code}, status=status.HTTP_409_CONFLICT)
        return Response(_serialised(request, [generation.pk for generation in created]), status=status.HTTP_201_CREATED)


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
    def post(self, request, generation_id):
        generation = selectors.get_generation_for_user(user=request.user, generation_id=generation_id)
        serializer = VariationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            child = generation_services.request_variation(
                user=request.user,
                generation_id=generation.pk,
                kind=serializer.validated_data["kind"],
                request_key=serializer.validated_data.get("request_key") or None,
            )
        except InvalidGenerationRequest as exc:
            return _problems(exc)
        except CreditError as exc:
            return _no_credits(exc)
        except RequestKeyConflict as exc:
            return Response({"detail": exc.message, "code": exc.code}, status=status.HTTP_409_CONFLICT)
        return Response(_serialised(request, [child.pk])[0], status=status.HTTP_201_CREATED)
