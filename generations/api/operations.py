"""REST API of uploads and image operations.

    GET  /api/v1/images/                      my uploaded images (paginated)
    POST /api/v1/images/                      upload one or more images (multipart, field `file`)
    POST /api/v1/images/<id>/operations/      upscale, remove the background of, or vectorize an image
    GET  /api/v1/operations/<id>/             an operation's status and result
    POST /api/v1/operations/<id>/cancel/      cancel an operation that has not started (holds released)

Another user's image or operation answers 404; a refused request 400 with `detail` and `code`;
not enough credits 402 (domain errors propagate to the API's exception handler, which shapes them).
"""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.idempotency import idempotent
from craftplatform.api_errors import ApiError
from craftplatform.api_schema import errors
from generations import selectors
from generations.api.library import AssetSerializer
from generations.models import AssetKind, ImageOperation, OperationType
from generations.services import cancel as cancel_services
from generations.services import operations as services


class ImageOperationSerializer(serializers.ModelSerializer):
    source = serializers.UUIDField(source="source_id", read_only=True)
    result = AssetSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ImageOperation
        fields = [
            "id",
            "operation_type",
            "parameters",
            "status",
            "source",
            "result",
            "credits_quoted",
            "credits_used",
            "error_message",
            "attempts",
            "created_at",
            "started_at",
            "completed_at",
            "processing_time_ms",
        ]
        read_only_fields = fields


class RequestOperationSerializer(serializers.Serializer):
    operation = serializers.ChoiceField(choices=OperationType.choices)
    factor = serializers.ChoiceField(choices=[2, 4], required=False, allow_null=True, help_text="Upscale only: 2 or 4.")
    request_key = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="Send the same key again (a retried request) and get the first operation back; "
        "the Idempotency-Key header works too.",
    )


class UploadSerializer(serializers.Serializer):
    # The schema describes one part; the view reads every `file` part (send the field once per image).
    file = serializers.FileField(help_text="An image. Send this field once per image, at most 10 at a time.")


class ImageListView(generics.ListAPIView):
    """My uploaded images, newest first; POST uploads more."""

    serializer_class = AssetSerializer
    parser_classes = [MultiPartParser, FormParser]
    upload_kind = "image"  # the schema documents the accepted types and limits

    def get_queryset(self):
        return (
            selectors.assets_for_user(user=self.request.user)
            .filter(kind=AssetKind.UPLOAD)
            .order_by("-created_at", "-pk")
        )

    @extend_schema(
        request={"multipart/form-data": UploadSerializer},
        responses={201: inline_serializer("UploadedImages", {"results": AssetSerializer(many=True)})},
    )
    @idempotent
    def post(self, request):
        """Upload images (PNG, JPEG or WebP, checked by content). All are stored, or none."""
        files = request.FILES.getlist("file")
        if not files:
            message = "Send one or more images in the field “file”."
            raise ApiError(message, code="upload_rejected", errors={"file": [message]})
        assets = services.upload_images(user=request.user, uploads=files)
        data = AssetSerializer(assets, many=True, context=self.get_serializer_context()).data
        return Response({"results": data}, status=status.HTTP_201_CREATED)


class RequestOperationView(APIView):
    @extend_schema(request=RequestOperationSerializer, responses={202: ImageOperationSerializer})
    @errors(402)
    @idempotent
    def post(self, request, asset_id):
        """Queue an operation on one of my images (uploaded or generated); its price is held until it finishes."""
        params = RequestOperationSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        operation = services.request_image_operation(
            user=request.user,
            asset_id=asset_id,
            operation=data["operation"],
            factor=data.get("factor"),
            request_key=data.get("request_key") or request.headers.get("Idempotency-Key") or None,
        )
        body = ImageOperationSerializer(operation, context={"request": request}).data
        return Response(body, status=status.HTTP_202_ACCEPTED)


class OperationView(APIView):
    @extend_schema(responses=ImageOperationSerializer)
    def get(self, request, operation_id):
        operation = selectors.get_operation_for_user(user=request.user, operation_id=operation_id)
        return Response(ImageOperationSerializer(operation, context={"request": request}).data)


class OperationCancelView(APIView):
    @extend_schema(request=None, responses={200: ImageOperationSerializer})
    @errors(409)
    def post(self, request, operation_id):
        """Cancel an operation that has not started: its held credits go back and no file is made.
        Again on a cancelled one answers the same; a running or finished one is refused with 409."""
        operation = cancel_services.cancel_operation(user=request.user, operation_id=operation_id)
        return Response(ImageOperationSerializer(operation, context={"request": request}).data)
