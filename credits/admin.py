import uuid

from django.contrib import admin, messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse

from accounts import services as account_services
from craftplatform.admin import ReadOnlyAdmin, permission_view
from credits import services, stripe_client
from credits.constants import PaymentStatus
from credits.errors import CreditError
from credits.forms import AdjustCreditsForm, RefundPaymentForm
from credits.models import (
    CreditAccount,
    CreditHold,
    CreditPackage,
    CreditShortfall,
    CreditTransaction,
    Payment,
    PricingRule,
    StripeEvent,
    SubscriptionChange,
    SubscriptionPlan,
    UserSubscription,
)
from credits.services import billing, reversals
from credits.services import staff as staff_services
from credits.services.reconcile import account_count, find_discrepancies


class RecentTransactionsInline(admin.TabularInline):
    model = CreditTransaction
    fields = ("created_at", "type", "amount", "balance_after", "description", "actor_label")
    readonly_fields = fields
    ordering = ("-created_at",)
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("-created_at")


@admin.register(CreditAccount)
class CreditAccountAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "balance", "reserved", "available", "lifetime_granted", "lifetime_spent", "updated_at")
    search_fields = ("user__email", "id")
    list_select_related = ("user",)
    readonly_fields = (
        "id",
        "user",
        "balance",
        "reserved",
        "lifetime_granted",
        "lifetime_spent",
        "lifetime_purchased",
        "created_at",
        "updated_at",
    )
    inlines = [RecentTransactionsInline]
    change_form_template = "admin/credits/creditaccount/change_form.html"
    change_list_template = "admin/credits/creditaccount/change_list.html"

    @admin.display(description="Available")
    def available(self, obj):
        return obj.available

    def get_urls(self):
        return [
            path(
                "<uuid:account_id>/adjust/",
                permission_view(self, self.adjust_view, "credits.change_creditaccount"),
                name="credits_creditaccount_adjust",
            ),
            path(
                "reconciliation/",
                permission_view(self, self.reconciliation_view, "credits.view_creditaccount"),
                name="credits_creditaccount_reconciliation",
            ),
            *super().get_urls(),
        ]

    def reconciliation_view(self, request):
        """The same check as `manage.py reconcile_credits`, run now: reports, never fixes."""
        context = {
            **self.admin_site.each_context(request),
            "title": "Credit reconciliation",
            "problems": find_discrepancies(),
            "accounts": account_count(),
            "opts": self.model._meta,
        }
        return render(request, "admin/credits/creditaccount/reconciliation.html", context)

    def adjust_view(self, request, account_id):
        account = get_object_or_404(CreditAccount.objects.select_related("user"), pk=account_id)
        form = AdjustCreditsForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            if account.user is None:
                form.add_error(None, "This account belongs to a deleted user.")
            else:
                try:
                    services.admin_adjust_credits(
                        actor=request.user,
                        user=account.user,
                        amount=form.cleaned_data["amount"],
                        reason=form.cleaned_data["reason"],
                        # One submitted form is one adjustment, even if the browser sends it twice.
                        idempotency_key=f"admin-adjust:{request.POST.get('form_token') or uuid.uuid4()}",
                        request=request,
                    )
                except CreditError as exc:
                    form.add_error("amount", exc.message)
                else:
                    messages.success(request, f"{form.cleaned_data['amount']:+d} credits applied to {account.user}.")
                    return redirect(reverse("admin:credits_creditaccount_change", args=[account.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Adjust credits of {account.user or 'a deleted user'}",
            "account": account,
            "form": form,
            "form_token": uuid.uuid4(),
            "opts": self.model._meta,
        }
        return render(request, "admin/credits/creditaccount/adjust.html", context)


@admin.register(CreditTransaction)
class CreditTransactionAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "account", "type", "amount", "balance_after", "description", "actor_label")
    list_filter = ("type", "operation", "created_at")
    search_fields = ("account__user__email", "reference_id", "idempotency_key", "description")
    list_select_related = ("account__user",)
    date_hierarchy = "created_at"


@admin.register(CreditHold)
class CreditHoldAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "account",
        "amount",
        "status",
        "operation",
        "reference_type",
        "reference_id",
        "expires_at",
    )
    list_filter = ("status", "operation", "created_at")
    search_fields = ("account__user__email", "reference_id", "idempotency_key")
    list_select_related = ("account__user",)
    actions = ["release_holds"]

    # Moving credits needs the change permission (this admin is read-only otherwise); audited by the service.
    @admin.action(description="Release selected holds (give the credits back)", permissions=["release"])
    def release_holds(self, request, queryset):
        released = staff_services.release_holds_by_staff(
            actor=request.user,
            hold_ids=list(queryset.filter(status="held").values_list("pk", flat=True)),
            request=request,
        )
        self.message_user(request, f"{released} hold(s) released.", messages.SUCCESS)

    def has_release_permission(self, request):
        return request.user.has_perm("credits.change_credithold")


@admin.register(PricingRule)
class PricingRuleAdmin(admin.ModelAdmin):
    list_display = (
        "operation",
        "base_cost",
        "daily_limit",
        "rate_limit_per_minute",
        "minimum_tier",
        "enabled",
        "updated_at",
    )
    list_filter = ("enabled", "minimum_tier")
    list_editable = ("enabled",)
    search_fields = ("operation", "description")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        account_services.record_audit_event(
            actor=request.user,
            action="credits.pricing_changed" if change else "credits.pricing_created",
            target=obj,
            details={field: str(form.cleaned_data.get(field)) for field in form.changed_data},
            request=request,
        )


class StripeAdminMixin:
    """Packs and plans: edited here, then pushed to Stripe as a product and a price."""

    push_kind = ""

    def _push(self, request, queryset, push):
        if not billing.billing_enabled():
            self.message_user(request, "Stripe is not configured (STRIPE_SECRET_KEY).", messages.ERROR)
            return
        pushed = 0
        for obj in queryset:
            try:
                push(obj, request.user)
            except CreditError as error:
                self.message_user(request, f"{obj}: {error.message}", messages.ERROR)
            except stripe_client.InvalidRequestError as error:
                self.message_user(request, f"{obj}: Stripe refused: {error.user_message or error}", messages.ERROR)
            else:
                pushed += 1
        if pushed:
            self.message_user(request, f"{pushed} pushed to Stripe.", messages.SUCCESS)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        account_services.record_audit_event(
            actor=request.user,
            action=f"billing.{self.push_kind}_changed" if change else f"billing.{self.push_kind}_created",
            target=obj,
            details={field: str(form.cleaned_data.get(field)) for field in form.changed_data},
            request=request,
        )
        if change and {"price", "currency", "interval"} & set(form.changed_data) and obj.stripe_price_id:
            self.message_user(
                request, "The price changed: push it to Stripe so new purchases use it.", messages.WARNING
            )

    def has_delete_permission(self, request, obj=None):
        return False  # payments and subscriptions keep them; deactivate instead


@admin.register(CreditPackage)
class CreditPackageAdmin(StripeAdminMixin, admin.ModelAdmin):
    push_kind = "package"
    list_display = (
        "name",
        "total_credits",
        "price",
        "currency",
        "is_active",
        "is_featured",
        "badge",
        "display_order",
        "on_stripe",
    )
    list_filter = ("is_active", "is_featured")
    list_editable = ("is_active", "display_order")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("stripe_product_id", "stripe_price_id", "created_at", "updated_at")
    actions = ["push_to_stripe"]

    @admin.display(boolean=True, description="On Stripe")
    def on_stripe(self, obj):
        return bool(obj.stripe_price_id)

    @admin.action(description="Push selected packs to Stripe (product and price)")
    def push_to_stripe(self, request, queryset):
        self._push(request, queryset, lambda obj, actor: billing.push_package_to_stripe(package=obj, actor=actor))


@admin.register(SubscriptionPlan)
class SubscriptionPlanAdmin(StripeAdminMixin, admin.ModelAdmin):
    push_kind = "plan"
    list_display = (
        "name",
        "tier",
        "price",
        "interval",
        "credits_per_period",
        "daily_allowance",
        "rollover",
        "rollover_cap",
        "has_watermark",
        "is_active",
        "on_stripe",
    )
    list_filter = ("is_active", "tier", "interval", "rollover")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("stripe_product_id", "stripe_price_id", "created_at", "updated_at")
    actions = ["push_to_stripe"]

    @admin.display(boolean=True, description="On Stripe")
    def on_stripe(self, obj):
        return bool(obj.stripe_price_id) or obj.is_free

    @admin.action(description="Push selected plans to Stripe (product and price)")
    def push_to_stripe(self, request, queryset):
        self._push(request, queryset, lambda obj, actor: billing.push_plan_to_stripe(plan=obj, actor=actor))


class SubscriptionChangeInline(admin.TabularInline):
    model = SubscriptionChange
    fields = ("created_at", "from_plan", "to_plan", "from_status", "to_status", "stripe_event_id", "note")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False


@admin.register(UserSubscription)
class UserSubscriptionAdmin(ReadOnlyAdmin):
    """Mirrored from Stripe: change a subscription in Stripe (or the customer's portal), not here."""

    list_display = ("user", "plan", "status", "current_period_end", "cancel_at_period_end", "period_credits")
    list_filter = ("status", "plan")
    search_fields = ("user__email", "stripe_subscription_id", "stripe_customer_id")
    list_select_related = ("user", "plan")
    inlines = [SubscriptionChangeInline]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "kind", "amount", "currency", "status", "credits", "credits_taken_back")
    list_filter = ("status", "kind", "created_at")
    search_fields = ("user__email", "provider_payment_id", "payment_intent_id")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    change_form_template = "admin/credits/payment/change_form.html"

    def get_urls(self):
        return [
            path(
                "<uuid:payment_id>/refund/",
                permission_view(self, self.refund_view, "credits.change_payment"),
                name="credits_payment_refund",
            ),
            *super().get_urls(),
        ]

    def refund_view(self, request, payment_id):
        """Refund at Stripe (audited); the credits come back through the charge.refunded webhook."""
        payment = get_object_or_404(Payment.objects.select_related("user"), pk=payment_id)
        form = RefundPaymentForm(request.POST or None, payment=payment)
        if request.method == "POST" and form.is_valid():
            try:
                reversals.refund_payment(
                    payment_id=payment.pk, actor=request.user, amount=form.cleaned_data["amount"], request=request
                )
            except CreditError as error:
                form.add_error("amount", error.message)
            except stripe_client.InvalidRequestError as error:
                form.add_error("amount", f"Stripe refused: {error.user_message or error}")
            else:
                messages.success(request, "Refund sent to Stripe. The credits are taken back when Stripe confirms it.")
                return redirect(reverse("admin:credits_payment_change", args=[payment.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Refund {payment}",
            "payment": payment,
            "refundable": payment.status in {PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED},
            "form": form,
            "opts": self.model._meta,
        }
        return render(request, "admin/credits/payment/refund.html", context)


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "type", "event_id", "status", "attempts", "processed_at")
    list_filter = ("status", "type")
    search_fields = ("event_id", "type")
    date_hierarchy = "created_at"
    actions = ["retry_events"]

    # Processing an event grants or takes back credits: the change permission, and an audit event.
    @admin.action(description="Process selected failed events again", permissions=["retry"])
    def retry_events(self, request, queryset):
        done, failed = staff_services.retry_events_by_staff(
            actor=request.user, event_ids=queryset.values_list("pk", flat=True), request=request
        )
        self.message_user(request, f"{done} processed, {failed} still failing.", messages.INFO)

    def has_retry_permission(self, request):
        return request.user.has_perm("credits.change_stripeevent")


@admin.register(CreditShortfall)
class CreditShortfallAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "account", "amount", "requested", "type", "reference_type", "reference_id")
    list_filter = ("type",)
    search_fields = ("account__user__email", "reference_id", "idempotency_key")
    list_select_related = ("account__user",)
