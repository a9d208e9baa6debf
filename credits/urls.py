from django.urls import path

from credits import views

app_name = "credits"

urlpatterns = [
    path("", views.index, name="index"),
    path("history/", views.history, name="history"),
    path("history.csv", views.history_csv, name="history_csv"),
    path("packs/", views.packs, name="packs"),
    path("packs/<uuid:package_id>/buy/", views.buy_pack, name="buy_pack"),
    path("plans/", views.plans, name="plans"),
    path("plans/<uuid:plan_id>/subscribe/", views.subscribe, name="subscribe"),
    path("billing/", views.manage_billing, name="manage_billing"),
    path("payments/", views.payments, name="payments"),
    path("checkout/success/", views.checkout_success, name="checkout_success"),
    path("checkout/cancel/", views.checkout_cancel, name="checkout_cancel"),
    path("stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
]
