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


class ConnectionStatusSerializer(serializers.Serializer):
    connected = serializers.BooleanField(help_text="Whether a Meta login is stored (it may still need re-auth).")
    publishing_configured = serializers.BooleanField(help_text="Whether the operator configured a Meta app.")
    connection = ConnectionSerializer(allow_null=True, help_text="Null until the user connects Meta.")


class ConnectionView(APIView):
    @extend_schema(responses=ConnectionStatusSerializer)
    def get(self, request):
        connection = selectors.connection_for(request.user)
        return Response(
            {
                "connected": connection is not None,
                "publishing_configured": selectors.meta_configured(),
                "connection": ConnectionSerializer(connection).data if connection is not None else None,
            }
        )
