from django.urls import path

from credits import api

urlpatterns = [
    path("credits/", api.CreditAccountView.as_view(), name="api-credits"),
    path("credits/transactions/", api.TransactionListView.as_view(), name="api-credit-transactions"),
    path("credits/quote/", api.QuoteView.as_view(), name="api-credit-quote"),
    path("credits/prices/", api.PriceListView.as_view(), name="api-credit-prices"),
    path("credits/plan/", api.PlanView.as_view(), name="api-credit-plan"),
    path("credits/packs/", api.PackageListView.as_view(), name="api-credit-packs"),
    path(
        "credits/packs/<uuid:package_id>/checkout/", api.PackageCheckoutView.as_view(), name="api-credit-pack-checkout"
    ),
    path("credits/plans/", api.PlanListView.as_view(), name="api-credit-plans"),
    path("credits/plans/<uuid:plan_id>/checkout/", api.PlanCheckoutView.as_view(), name="api-credit-plan-checkout"),
    path("credits/payments/", api.PaymentListView.as_view(), name="api-credit-payments"),
]
