"""REST API of “Write it for me”: GET the price of drafting a page's copy (or one component's), POST to
draft it. Refusals use the one error body: 409 `ai_not_configured` without a provider, 402 without
enough credits, 502 `ai_answer_rejected` / 503 `ai_unavailable` when the provider's call fails
(nothing charged, nothing changed)."""

from __future__ import annotations

import uuid

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.api import LandingPageSerializer, _page_response
from campaigns.pages import copywriting, selectors
from craftplatform.api_errors import ApiError, domain_error
from craftplatform.api_schema import errors
from craftplatform.errors import DomainError
from generations.providers import ContentRefused, MalformedResponse, ProviderError

ANSWER_CODES = {"copy_unreadable", "copy_did_not_fit"}


class CopyOfferSerializer(serializers.Serializer):
    available = serializers.BooleanField(help_text="False: no AI copy provider on this installation.")
    credits = serializers.IntegerField(help_text="What drafting costs now (one AI copy per component).")
    allowed = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True)


class WriteCopySerializer(serializers.Serializer):
    component = serializers.UUIDField(required=False, help_text="Only this component; all of the page without it.")
    goal = serializers.CharField(
        required=False, allow_blank=True, max_length=copywriting.MAX_GOAL_CHARS, help_text="The campaign's goal."
    )


def _refusal(exc: DomainError) -> ApiError:
    if isinstance(exc, copywriting.CopyRejected) or (
        isinstance(exc, MalformedResponse | ContentRefused)
        or (isinstance(exc, ProviderError) and exc.code in ANSWER_CODES)
    ):
        return ApiError(exc.message, code="ai_answer_rejected", status_code=502)
    if isinstance(exc, copywriting.CopyNotOffered):
        return ApiError(exc.message, code="ai_not_configured", status_code=409)
    if isinstance(exc, ProviderError):
        return ApiError(exc.message, code="ai_unavailable", status_code=503)
    return domain_error(exc)


class PageWriteCopyApi(APIView):
    serializer_class = LandingPageSerializer

    @extend_schema(
        operation_id="pages_write_copy_price",
        parameters=[OpenApiParameter("component", str, required=False, description="A component's id.")],
        responses=CopyOfferSerializer,
    )
    def get(self, request, page_id):
        page = selectors.get_page_for_user(user=request.user, page_id=page_id)
        component = None
        if request.query_params.get("component"):
            component = get_object_or_404(page.components, pk=_uuid(request.query_params["component"]))
        offer = copywriting.copy_offer(user=request.user, page=page, component=component)
        return Response(
            CopyOfferSerializer(
                {
                    "available": offer.available,
                    "credits": offer.credits,
                    "allowed": offer.allowed,
                    "reason": offer.reason,
                }
            ).data
        )

    @extend_schema(operation_id="pages_write_copy", request=WriteCopySerializer, responses=LandingPageSerializer)
    @errors(402, 409, 502, 503)
    def post(self, request, page_id):
        page = selectors.get_page_for_user(user=request.user, page_id=page_id)
        serializer = WriteCopySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "component" in data:
            get_object_or_404(page.components, pk=data["component"])
        try:
            copywriting.write_page_copy(
                user=request.user, page=page, component_id=data.get("component"), goal=data.get("goal", "")
            )
        except DomainError as exc:
            raise _refusal(exc) from None
        return _page_response(request, page)


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ApiError("Not a component of this page.", code="not_found", status_code=404) from None
