"""REST API of the Meta connection: read-only status (never the token)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.connections import selectors
from campaigns.connections.models import MetaAdAccount, MetaConnection, MetaPage


class AdAccountSerializer(serializers.ModelSerializer):
    class Meta:
        model = MetaAdAccount
        fields = ["id", "account_id", "name", "currency", "timezone_name", "account_status", "spend_cap", "selected"]
        read_only_fields = fields


class PageSerializer(serializers.ModelSerializer):
    class Meta:
        model = MetaPage
        fields = ["id", "page_id", "name", "instagram_actor_id", "selected", "use_instagram"]
        read_only_fields = fields


class ConnectionSerializer(serializers.ModelSerializer):
    ad_accounts = AdAccountSerializer(many=True, read_only=True)
    pages = PageSerializer(many=True, read_only=True)

    class Meta:
        model = MetaConnection
        fields = [
            "id",
            "status",
            "status_message",
            "meta_user_name",
            "token_expires_at",
            "scopes_granted",
            "scopes_missing",
            "connected_at",
            "ad_accounts",
            "pages",
        ]
        read_only_fields = fields


class ConnectionView(APIView):
    @extend_schema(responses=ConnectionSerializer)
    def get(self, request):
        connection = selectors.connection_for(request.user)
        if connection is None:
            return Response({"status": "not_connected", "publishing_configured": selectors.meta_configured()})
        return Response({**ConnectionSerializer(connection).data, "publishing_configured": selectors.meta_configured()})
