import uuid

from django.contrib import admin, messages
from django.shortcuts import redirect, render
from django.urls import path, reverse

from accounts import services as account_services
from craftplatform.admin import ReadOnlyAdmin
from credits import services
from credits.errors import CreditError
from credits.forms import AdjustCreditsForm
from credits.models import CreditAccount, CreditHold, CreditTransaction, PricingRule


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

    @admin.display(description="Available")
    def available(self, obj):
        return obj.available

    def get_urls(self):
        return [
            path(
                "<uuid:account_id>/adjust/",
                self.admin_site.admin_view(self.adjust_view),
                name="credits_creditaccount_adjust",
            ),
            *super().get_urls(),
        ]

    def adjust_view(self, request, account_id):
        if not request.user.has_perm("credits.change_creditaccount"):
            messages.error(request, "You may not adjust credits.")
            return redirect("admin:credits_creditaccount_changelist")
        account = CreditAccount.objects.select_related("user").get(pk=account_id)
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

    @admin.action(description="Release selected holds (give the credits back)", permissions=["view"])
    def release_holds(self, request, queryset):
        released = 0
        for hold in queryset.filter(status="held"):
            services.release_hold(hold_id=hold.pk)
            account_services.record_audit_event(
                actor=request.user, action="credits.hold_released", target=hold, request=request
            )
            released += 1
        self.message_user(request, f"{released} hold(s) released.", messages.SUCCESS)


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
