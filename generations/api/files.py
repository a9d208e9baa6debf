"""REST API: an asset's file for its owner, with an API key (the pages' file view needs a session).

    GET /api/v1/assets/<id>/file/              the file (?download=1 as an attachment with its
                                               readable name, ?thumb=1 the WebP thumbnail)

Files are streamed from storage; an expired file (free-plan retention) is a 410.
"""

import mimetypes

from django.core.files.storage import default_storage
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.views import APIView

from craftplatform.api_errors import ApiError
from craftplatform.api_schema import errors
from generations import selectors

FILE_TYPES = ("image/png", "image/jpeg", "image/webp", "image/svg+xml")


class AssetFileView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("download", bool, description="true: as an attachment with its readable file name."),
            OpenApiParameter("thumb", bool, description="true: the small WebP preview instead of the file."),
        ],
        responses={(200, media): OpenApiTypes.BINARY for media in FILE_TYPES},
    )
    @errors(410)
    def get(self, request, asset_id):
        asset = selectors.get_asset_for_user(user=request.user, asset_id=asset_id, include_expired=True)
        if asset.is_expired:
            raise ApiError(
                "This file was removed after the free plan's retention period.", code="file_expired", status_code=410
            )
        download = request.query_params.get("download") == "true"
        name = asset.file.name
        if request.query_params.get("thumb") == "true" and asset.thumbnail and not download:
            name = asset.thumbnail.name
        if not name:
            raise ApiError("This image has no file.", code="not_found", status_code=404)
        filename = asset.display_name if name == asset.file.name else name.rsplit("/", 1)[-1]
        content_type = (asset.mime_type if name == asset.file.name else "") or mimetypes.guess_type(name)[0]
        try:
            handle = default_storage.open(name, "rb")
        except FileNotFoundError as exc:
            raise ApiError("The file is missing from storage.", code="not_found", status_code=404) from exc
        response = FileResponse(handle, as_attachment=download, filename=filename, content_type=content_type)
        response["Cache-Control"] = "private, max-age=300"
        response["X-Content-Type-Options"] = "nosniff"
        return response
