"""GET /api/v1/storage/: how much the user stores and what their plan allows (issue 11)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from credits.services import storage


class StorageSerializer(serializers.Serializer):
    used_bytes = serializers.IntegerField(source="used")
    quota_bytes = serializers.IntegerField(source="quota", help_text="0: no limit.")
    free_bytes = serializers.IntegerField(source="free")
    percent = serializers.IntegerField()
    label = serializers.CharField(help_text='"1.2 GB of 5 GB".')


class StorageView(APIView):
    @extend_schema(responses=StorageSerializer)
    def get(self, request):
        """Storage used by uploads, results and brand fonts, and the plan's quota; uploads past it are refused."""
        return Response(StorageSerializer(storage.usage(user=request.user)).data)
