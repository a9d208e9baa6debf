"""REST API: the user's credits, their ledger, and prices."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.idempotency import idempotent
from craftplatform.api_errors import ApiError, snake_code
from craftplatform.api_schema import errors
from credits import selectors, services
from credits.constants import Operation, TransactionType
from credits.errors import CreditError
from credits.models import CreditPackage, CreditTransaction, Payment, SubscriptionPlan
from credits.services import billing


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
            raise ApiError(exc.message, code=snake_code(exc.code)) from exc
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


class PriceListEntrySerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The action, e.g. upscale_4x.")
    operation = serializers.CharField(help_text="The operation its credits are counted under.")
    label = serializers.CharField()
    description = serializers.CharField()
    units = serializers.IntegerField(help_text="Units of the operation's price one action takes.")
    cost = serializers.IntegerField(help_text="Credits one action costs you now.")
    daily_limit = serializers.IntegerField(allow_null=True)


class PriceListView(APIView):
    """What each action costs you: the same list as the credits page and the image page."""

    @extend_schema(responses=PriceListEntrySerializer(many=True))
    def get(self, request):
        return Response(PriceListEntrySerializer(selectors.price_list_for(user=request.user), many=True).data)


class PlanSummarySerializer(serializers.Serializer):
    plan = serializers.CharField(source="plan.slug", allow_null=True)
    plan_name = serializers.CharField(source="plan.name", allow_null=True)
    watermark = serializers.BooleanField(source="plan.has_watermark", allow_null=True)
    subscription_status = serializers.CharField(source="subscription.status", allow_null=True, default=None)
    renews_at = serializers.DateTimeField(source="subscription.current_period_end", allow_null=True, default=None)
    allowance_today = serializers.IntegerField()
    allowance_left = serializers.IntegerField()


class PackageSerializer(serializers.ModelSerializer):
    total_credits = serializers.IntegerField()

    class Meta:
        model = CreditPackage
        fields = ["id", "slug", "name", "description", "credits", "bonus_credits", "total_credits", "price", "currency"]


class PlanSerializer(serializers.ModelSerializer):
    class Meta:
        model = SubscriptionPlan
        fields = [
            "id",
            "slug",
            "name",
            "tier",
            "description",
            "price",
            "currency",
            "interval",
            "credits_per_period",
            "daily_allowance",
            "rollover",
            "rollover_cap",
            "has_watermark",
            "features",
        ]


class PaymentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Payment
        fields = [
            "id",
            "created_at",
            "paid_at",
            "kind",
            "amount",
            "currency",
            "status",
            "credits",
            "amount_refunded",
            "credits_taken_back",
            "invoice_url",
        ]


class CheckoutSerializer(serializers.Serializer):
    checkout_url = serializers.URLField()


class PlanView(APIView):
    @extend_schema(responses=PlanSummarySerializer)
    def get(self, request):
        return Response(PlanSummarySerializer(selectors.plan_summary_for(user=request.user)).data)


class PackageListView(generics.ListAPIView):
    serializer_class = PackageSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.packages_on_sale()


class PlanListView(generics.ListAPIView):
    serializer_class = PlanSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.plans_on_offer()


class PaymentListView(generics.ListAPIView):
    serializer_class = PaymentSerializer

    def get_queryset(self):
        return selectors.payments_for(user=self.request.user)


def _checkout_response(start) -> Response:
    # Billing switched off is a 409 `billing_off`, Stripe unreachable a 503: the API's exception
    # handler maps the domain errors (craftplatform.api_errors.DOMAIN_STATUS).
    return Response({"checkout_url": start()}, status=201)


class PackageCheckoutView(APIView):
    """Start buying a pack: answers the Stripe Checkout URL to send the user to."""

    @extend_schema(request=None, responses={201: CheckoutSerializer})
    @errors(409, 503)
    @idempotent
    def post(self, request, package_id):
        return _checkout_response(lambda: billing.start_pack_checkout(user=request.user, package_id=package_id))


class PlanCheckoutView(APIView):
    @extend_schema(request=None, responses={201: CheckoutSerializer})
    @errors(409, 503)
    @idempotent
    def post(self, request, plan_id):
        return _checkout_response(lambda: billing.start_plan_checkout(user=request.user, plan_id=plan_id))
