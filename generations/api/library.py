"""REST API of the user's library: generations (read, rate, favourite, delete), assets (read,
favourite, delete) and collections (create, read, rename, delete; add, remove and order images).

Files are never linked by their storage URL: `file_url`, `thumbnail_url` and `download_url` point
at the owner-checked file view. Another user's object answers 404.
"""

from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.idempotency import idempotent
from craftplatform.api_errors import ApiError, snake_code
from craftplatform.api_schema import errors
from generations import selectors
from generations.models import Asset, AssetKind, Collection, Generation, GenerationStatus
from generations.selectors import LibraryFilters
from generations.services import library as services
from generations.services.library import COLLECTION_DESCRIPTION_MAX_CHARS, COLLECTION_NAME_MAX_CHARS
from templates_app.spec import FORMAT_KEYS

NOT_FOUND = (services.GenerationNotFound, services.AssetNotFound, services.CollectionNotFound)
CONFLICT = (services.GenerationBusy, services.AssetInUse, services.CollectionNameTaken)


def _error(exc: services.LibraryError) -> Response:
    """A refused change: 404 for what is not yours, 409 for a conflict, 400 otherwise (the API's
    exception handler maps the domain error; see craftplatform.api_errors.DOMAIN_STATUS)."""
    if isinstance(exc, NOT_FOUND):
        raise Http404(exc.message) from exc
    if isinstance(exc, CONFLICT):
        raise ApiError(exc.message, code=snake_code(exc.code), status_code=status.HTTP_409_CONFLICT) from exc
    raise ApiError(exc.message, code=snake_code(exc.code)) from exc


# -- serializers -----------------------------------------------------------------------------------


class AssetSerializer(serializers.ModelSerializer):
    generation = serializers.UUIDField(source="generation_id", allow_null=True, read_only=True)
    source = serializers.UUIDField(source="source_id", allow_null=True, read_only=True)
    name = serializers.CharField(source="display_name", read_only=True)
    file_url = serializers.SerializerMethodField(help_text="The file, for its owner; null once expired.")
    thumbnail_url = serializers.SerializerMethodField(help_text="A small WebP preview (the file if it has none).")
    download_url = serializers.SerializerMethodField(help_text="The file as an attachment with its readable name.")

    class Meta:
        model = Asset
        fields = [
            "id",
            "kind",
            "name",
            "generation",
            "source",
            "format_key",
            "mime_type",
            "file_format",
            "size_bytes",
            "width",
            "height",
            "status",
            "expires_at",
            "is_favorite",
            "created_at",
            "file_url",
            "thumbnail_url",
            "download_url",
        ]
        read_only_fields = fields

    def _url(self, asset, query: str = "") -> str | None:
        if asset.is_expired:
            return None
        url = reverse("generations:asset_file", args=[asset.pk]) + query
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url

    def get_file_url(self, asset) -> str | None:
        return self._url(asset)

    def get_thumbnail_url(self, asset) -> str | None:
        return self._url(asset, "?thumb=1")

    def get_download_url(self, asset) -> str | None:
        return self._url(asset, "?download=1")


class TemplateRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    slug = serializers.SlugField()
    name = serializers.CharField()


class GenerationSerializer(serializers.ModelSerializer):
    template = TemplateRefSerializer(read_only=True)
    parent = serializers.UUIDField(source="parent_id", allow_null=True, read_only=True)
    results = serializers.SerializerMethodField(help_text="The rendered ads, in the order of `formats`.")
    download_url = serializers.SerializerMethodField(help_text="A zip of every result; null until there are any.")

    class Meta:
        model = Generation
        fields = [
            "id",
            "template",
            "spec_version",
            "status",
            "formats",
            "parent",
            "variation_kind",
            "seed",
            "provider",
            "ai_model",
            "watermarked",
            "credits_used",
            "rating",
            "feedback",
            "is_favorite",
            "created_at",
            "completed_at",
            "error_message",
            "results",
            "download_url",
        ]
        read_only_fields = fields

    @extend_schema_field(AssetSerializer(many=True))
    def get_results(self, generation) -> list[dict]:
        return AssetSerializer(selectors.ordered_results(generation), many=True, context=self.context).data

    def get_download_url(self, generation) -> str | None:
        if not any(not asset.is_expired for asset in generation.result_assets):
            return None
        url = reverse("generations:download_zip", args=[generation.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class GenerationDetailSerializer(GenerationSerializer):
    """With the lineage: what was asked for, how it was made, what was made from it."""

    variations = serializers.SerializerMethodField()

    class Meta(GenerationSerializer.Meta):
        fields = [
            *GenerationSerializer.Meta.fields,
            "customization_data",
            "prompt_data",
            "parameters",
            "credits_quoted",
            "queued_at",
            "started_at",
            "processing_time_ms",
            "variations",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.UUIDField()))
    def get_variations(self, generation) -> list[str]:
        return [str(variation.pk) for variation in generation.variation_list]


class GenerationQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=GenerationStatus.choices, required=False, allow_blank=True)
    template = serializers.UUIDField(required=False, allow_null=True, help_text="A template's id.")
    # Not "format": DRF reads that query parameter to pick a renderer.
    format_key = serializers.ChoiceField(choices=list(FORMAT_KEYS), required=False, allow_blank=True)
    date_from = serializers.DateField(required=False, allow_null=True, help_text="Created on or after (YYYY-MM-DD).")
    date_to = serializers.DateField(required=False, allow_null=True, help_text="Created on or before (YYYY-MM-DD).")
    favorites = serializers.BooleanField(required=False, default=False, help_text="Only your favourites.")

    def validate(self, attrs):
        if attrs.get("date_from") and attrs.get("date_to") and attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError({"date_to": "The end date is before the start date."})
        return attrs

    def filters(self) -> LibraryFilters:
        data = self.validated_data
        return LibraryFilters(
            status=data.get("status") or "",
            template_id=data.get("template"),
            format=data.get("format_key") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            favorites=data.get("favorites", False),
        )


class RatingSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    feedback = serializers.CharField(required=False, allow_blank=True, max_length=services.FEEDBACK_MAX_CHARS)


FavoriteStateSerializer = inline_serializer("LibraryFavoriteState", fields={"is_favorite": serializers.BooleanField()})


# -- generations -----------------------------------------------------------------------------------


class GenerationListView(generics.ListAPIView):
    """Your generations, newest first, with their results; filter by status, template, format, dates, favourites."""

    serializer_class = GenerationSerializer

    def get_queryset(self):
        query = GenerationQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.library_generations(user=self.request.user, filters=query.filters())

    @extend_schema(parameters=[GenerationQuerySerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class GenerationDetailView(APIView):
    @extend_schema(responses=GenerationDetailSerializer)
    def get(self, request, generation_id):
        generation = selectors.generation_detail_for_user(user=request.user, generation_id=generation_id)
        return Response(GenerationDetailSerializer(generation, context={"request": request}).data)

    @extend_schema(responses={204: None})
    @errors(409)
    def delete(self, request, generation_id):
        """Delete a finished generation and its files (refused with 409 while it is being made)."""
        try:
            services.delete_generation(user=request.user, generation_id=generation_id)
        except services.LibraryError as exc:
            return _error(exc)
        return Response(status=status.HTTP_204_NO_CONTENT)


class GenerationRateView(APIView):
    @extend_schema(request=RatingSerializer, responses=RatingSerializer)
    @errors(409)
    def post(self, request, generation_id):
        """Rate a finished generation 1 to 5, with optional feedback; rating again replaces it."""
        body = RatingSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            generation = services.rate_generation(user=request.user, generation_id=generation_id, **body.validated_data)
        except services.LibraryError as exc:
            return _error(exc)
        return Response({"rating": generation.rating, "feedback": generation.feedback})


class GenerationFavoriteView(APIView):
    """Mark a generation as a favourite (POST) or unmark it (DELETE); both are idempotent."""

    @extend_schema(request=None, responses=FavoriteStateSerializer)
    def post(self, request, generation_id):
        return self._set(request, generation_id, favorite=True)

    @extend_schema(request=None, responses={200: FavoriteStateSerializer})
    def delete(self, request, generation_id):
        return self._set(request, generation_id, favorite=False)

    def _set(self, request, generation_id, *, favorite: bool):
        try:
            state = services.set_generation_favorite(user=request.user, generation_id=generation_id, favorite=favorite)
        except services.LibraryError as exc:
            return _error(exc)
        return Response({"is_favorite": state})


# -- assets ----------------------------------------------------------------------------------------


class AssetQuerySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=AssetKind.choices, required=False, allow_blank=True)
    generation = serializers.UUIDField(required=False, allow_null=True, help_text="Only this generation's files.")
    favorites = serializers.BooleanField(required=False, default=False, help_text="Only your favourites.")
    include_expired = serializers.BooleanField(required=False, default=False)


class AssetListView(generics.ListAPIView):
    """Your images (uploads, rendered ads, AI images, image-operation results), newest first."""

    serializer_class = AssetSerializer

    def get_queryset(self):
        query = AssetQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        assets = selectors.assets_for_user(user=self.request.user, include_expired=data["include_expired"])
        if data.get("kind"):
            assets = assets.filter(kind=data["kind"])
        if data.get("generation"):
            assets = assets.filter(generation_id=data["generation"])
        if data["favorites"]:
            assets = assets.filter(is_favorite=True)
        return assets.order_by("-created_at", "-pk")

    @extend_schema(parameters=[AssetQuerySerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class AssetDetailView(APIView):
    @extend_schema(responses=AssetSerializer)
    def get(self, request, asset_id):
        asset = selectors.get_asset_for_user(user=request.user, asset_id=asset_id, include_expired=True)
        return Response(AssetSerializer(asset, context={"request": request}).data)

    @extend_schema(responses={204: None})
    @errors(409)
    def delete(self, request, asset_id):
        """Delete an upload, AI image or image-operation result (a generation's ads go with their generation)."""
        try:
            services.delete_asset(user=request.user, asset_id=asset_id)
        except services.LibraryError as exc:
            return _error(exc)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AssetFavoriteView(APIView):
    """Mark an image as a favourite (POST) or unmark it (DELETE); both are idempotent."""

    @extend_schema(request=None, responses=FavoriteStateSerializer)
    def post(self, request, asset_id):
        return self._set(request, asset_id, favorite=True)

    @extend_schema(request=None, responses={200: FavoriteStateSerializer})
    def delete(self, request, asset_id):
        return self._set(request, asset_id, favorite=False)

    def _set(self, request, asset_id, *, favorite: bool):
        try:
            state = services.set_asset_favorite(user=request.user, asset_id=asset_id, favorite=favorite)
        except services.LibraryError as exc:
            return _error(exc)
        return Response({"is_favorite": state})


# -- collections -----------------------------------------------------------------------------------


class CollectionSerializer(serializers.ModelSerializer):
    item_count = serializers.IntegerField(read_only=True)
    cover_url = serializers.SerializerMethodField(help_text="A preview of the first image still on file.")
    download_url = serializers.SerializerMethodField(help_text="A zip of every image still on file; null when empty.")

    class Meta:
        model = Collection
        fields = ["id", "name", "description", "item_count", "cover_url", "download_url", "created_at", "updated_at"]
        read_only_fields = fields

    def get_cover_url(self, collection) -> str | None:
        if not collection.cover_asset_id:
            return None
        url = reverse("generations:asset_file", args=[collection.cover_asset_id]) + "?thumb=1"
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url

    def get_download_url(self, collection) -> str | None:
        if not collection.cover_asset_id:
            return None
        url = reverse("generations:collection_download", args=[collection.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class CollectionItemSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    added_at = serializers.DateTimeField(source="created_at")
    asset = AssetSerializer()


class CollectionDetailSerializer(serializers.ModelSerializer):
    items = CollectionItemSerializer(many=True, source="ordered_items")

    class Meta:
        model = Collection
        fields = ["id", "name", "description", "created_at", "updated_at", "items"]
        read_only_fields = fields


class CollectionWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=COLLECTION_NAME_MAX_CHARS)
    description = serializers.CharField(required=False, allow_blank=True, max_length=COLLECTION_DESCRIPTION_MAX_CHARS)


class CollectionItemWriteSerializer(serializers.Serializer):
    asset_id = serializers.UUIDField()


class CollectionOrderSerializer(serializers.Serializer):
    asset_ids = serializers.ListField(
        child=serializers.UUIDField(), allow_empty=True, help_text="Every image in the collection, in the new order."
    )


def _collection_detail(request, collection_id) -> Response:
    collection = selectors.collection_detail_for_user(user=request.user, collection_id=collection_id)
    return Response(CollectionDetailSerializer(collection, context={"request": request}).data)


class CollectionListView(generics.ListAPIView):
    """Your collections by name, with how many images each holds."""

    serializer_class = CollectionSerializer

    def get_queryset(self):
        return selectors.collections_for_user(user=self.request.user)

    @extend_schema(request=CollectionWriteSerializer, responses={201: CollectionDetailSerializer})
    @errors(409)
    @idempotent
    def post(self, request):
        """Create a collection; names are unique per user (409 when taken)."""
        body = CollectionWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            collection = services.create_collection(user=request.user, **body.validated_data)
        except services.LibraryError as exc:
            return _error(exc)
        response = _collection_detail(request, collection.pk)
        response.status_code = status.HTTP_201_CREATED
        return response


class CollectionDetailView(APIView):
    @extend_schema(responses=CollectionDetailSerializer)
    def get(self, request, collection_id):
        return _collection_detail(request, collection_id)

    @extend_schema(request=CollectionWriteSerializer, responses=CollectionDetailSerializer)
    @errors(409)
    def patch(self, request, collection_id):
        """Rename a collection or change its description."""
        collection = selectors.get_collection_for_user(user=request.user, collection_id=collection_id)
        body = CollectionWriteSerializer(data={"name": collection.name, **request.data})
        body.is_valid(raise_exception=True)
        try:
            services.rename_collection(
                user=request.user,
                collection_id=collection.pk,
                name=body.validated_data["name"],
                description=body.validated_data.get("description"),
            )
        except services.LibraryError as exc:
            return _error(exc)
        return _collection_detail(request, collection.pk)

    @extend_schema(responses={204: None})
    def delete(self, request, collection_id):
        """Delete a collection; its images stay in your library."""
        try:
            services.delete_collection(user=request.user, collection_id=collection_id)
        except services.LibraryError as exc:
            return _error(exc)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CollectionItemsView(APIView):
    @extend_schema(request=CollectionItemWriteSerializer, responses={201: CollectionDetailSerializer})
    @errors(409)
    def post(self, request, collection_id):
        """Add an image at the end of the collection; adding one already there changes nothing."""
        body = CollectionItemWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.add_to_collection(
                user=request.user, collection_id=collection_id, asset_id=body.validated_data["asset_id"]
            )
        except services.LibraryError as exc:
            return _error(exc)
        response = _collection_detail(request, collection_id)
        response.status_code = status.HTTP_201_CREATED
        return response


class CollectionItemView(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request, collection_id, asset_id):
        """Take an image out of the collection (the image stays in your library)."""
        try:
            removed = services.remove_from_collection(user=request.user, collection_id=collection_id, asset_id=asset_id)
        except services.LibraryError as exc:
            return _error(exc)
        if not removed:
            raise Http404("This image is not in the collection.")
        return Response(status=status.HTTP_204_NO_CONTENT)


class CollectionOrderView(APIView):
    @extend_schema(request=CollectionOrderSerializer, responses=CollectionDetailSerializer)
    def put(self, request, collection_id):
        """Put the images in this order; the list must hold every image of the collection exactly once."""
        body = CollectionOrderSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.reorder_collection(
                user=request.user, collection_id=collection_id, asset_ids=body.validated_data["asset_ids"]
            )
        except services.LibraryError as exc:
            return _error(exc)
        return _collection_detail(request, collection_id)
