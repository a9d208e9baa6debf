from django.urls import path

from credits import api

urlpatterns = [
    path("credits/", api.CreditAccountView.as_view(), name="api-credits"),
    path("credits/transactions/", api.TransactionListView.as_view(), name="api-credit-transactions"),
    path("credits/quote/", api.QuoteView.as_view(), name="api-credit-quote"),
]
