"""REST API: the user's credits, their ledger, and prices."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from credits import selectors, services
from credits.constants import Operation, TransactionType
from credits.errors import CreditError
from credits.models import CreditTransaction


class AccountSerializer(serializers.Serializer):
    balance = serializers.IntegerField()
    reserved = serializers.IntegerField()
    available = serializers.IntegerField()
    lifetime_granted = serializers.IntegerField()
    lifetime_spent = serializers.IntegerField()


class TransactionSerializer(serializers.ModelSerializer):
    class Meta:
        model = CreditTransaction
        fields = [
            "id",
            "created_at",
            "type",
            "amount",
            "balance_after",
            "description",
            "operation",
            "reference_type",
            "reference_id",
        ]


class QuoteSerializer(serializers.Serializer):
    operation = serializers.ChoiceField(choices=Operation.choices)
    quantity = serializers.IntegerField(min_value=1, max_value=100, default=1)


class CreditAccountView(APIView):
    @extend_schema(responses=AccountSerializer)
    def get(self, request):
        return Response(AccountSerializer(selectors.account_for(user=request.user)).data)


class TransactionListView(generics.ListAPIView):
    serializer_class = TransactionSerializer

    @extend_schema(parameters=[OpenApiParameter("type", str, enum=TransactionType.values)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        kind = self.request.query_params.get("type", "")
        if kind and kind not in TransactionType.values:
            raise serializers.ValidationError({"type": f"Unknown kind; one of {', '.join(TransactionType.values)}."})
        return selectors.transactions_for(user=self.request.user, type=kind)


class QuoteResultSerializer(serializers.Serializer):
    operation = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_cost = serializers.IntegerField()
    total = serializers.IntegerField()
    available = serializers.IntegerField()
    allowed = serializers.BooleanField()
    reason = serializers.CharField()


class QuoteView(APIView):
    @extend_schema(parameters=[QuoteSerializer], responses=QuoteResultSerializer)
    def get(self, request):
        params = QuoteSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        try:
            priced = services.quote(user=request.user, **params.validated_data)
        except CreditError as exc:
            raise serializers.ValidationError({"detail": exc.message}) from exc
        return Response(
            {
                "operation": priced.operation,
                "quantity": priced.quantity,
                "unit_cost": priced.unit_cost,
                "total": priced.total,
                "available": priced.available,
                "allowed": priced.allowed,
                "reason": priced.reason,
            }
        )
