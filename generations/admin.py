"""The admin for generations: jobs and assets (here), image operations, collections and providers
(their own modules, imported so they register)."""

from django.contrib import admin, messages
from django.db import transaction
from django.urls import reverse
from django.utils.html import format_html

from accounts import services as account_services
from craftplatform.errors import DomainError
from credits import services as credit_services
from credits.models import CreditTransaction, TransactionType
from generations import admin_library, admin_operations, admin_providers  # noqa: F401
from generations import selectors as generation_selectors
from generations.models import Asset, Generation, GenerationStatus
from generations.services import generation as generation_services


class ResultAssetInline(admin.TabularInline):
    model = Asset
    fk_name = "generation"
    extra = 0
    can_delete = False
    fields = ("kind", "format_key", "file", "file_format", "width", "height", "size_bytes", "status", "expires_at")
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Generation)
class GenerationAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "user",
        "template",
        "status",
        "formats_label",
        "provider",
        "ai_model",
        "credits_quoted",
        "credits_used",
        "provider_cost",
        "attempts",
        "processing_time_ms",
    )
    list_filter = ("status", "provider", "watermarked", "variation_kind", "created_at")
    search_fields = ("id", "user__email", "template__name", "template__slug", "error_message")
    date_hierarchy = "created_at"
    list_select_related = ("user", "template")
    inlines = [ResultAssetInline]
    actions = ["retry_generations", "refund_generations"]
    # Money and lineage are written by the services only.
    readonly_fields = [field.name for field in Generation._meta.fields] + ["holds"]
    fieldsets = (
        (None, {"fields": ("id", "user", "template", "spec_version", "status", "error_code", "error_message")}),
        (
            "Lineage",
            {
                "fields": (
                    "parent",
                    "variation_kind",
                    "formats",
                    "customization_data",
                    "prompt_data",
                    "parameters",
                    "brand_snapshot",
                    "seed",
                    "provider",
                    "ai_model",
                    "watermarked",
                )
            },
        ),
        ("Credits and cost", {"fields": ("credits_quoted", "credits_used", "holds", "provider_cost")}),
        (
            "Timing",
            {
                "fields": (
                    "progress",
                    "attempts",
                    "lease_expires_at",
                    "queued_at",
                    "started_at",
                    "completed_at",
                    "processing_time_ms",
                    "created_at",
                    "updated_at",
                )
            },
        ),
        ("Feedback", {"fields": ("rating", "feedback", "is_favorite", "visibility", "request_key")}),
    )

    @admin.display(description="formats")
    def formats_label(self, obj):
        return ", ".join(obj.formats or [])

    @admin.display(description="credit holds")
    def holds(self, obj):
        rows = [
            format_html(
                '<a href="{}">{} credits, {}</a>',
                reverse("admin:credits_credithold_change", args=[hold.pk]),
                hold.amount,
                hold.get_status_display(),
            )
            for hold in generation_selectors.unsettled_holds(obj)
        ]
        return format_html("<br>".join(["{}"] * len(rows)), *rows) if rows else "—"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Retry selected failed generations (new credit holds)")
    def retry_generations(self, request, queryset):
        retried = 0
        for generation in queryset.filter(status=GenerationStatus.FAILED):
            try:
                new = generation_services.retry_generation(actor=request.user, generation_id=generation.pk)
            except DomainError as exc:
                self.message_user(request, f"{generation.pk}: {exc.message}", messages.ERROR)
                continue
            account_services.record_audit_event(
                actor=request.user,
                action="generation.retried",
                target=generation,
                details={"new_generation_id": str(new.pk)},
                request=request,
            )
            retried += 1
        self.message_user(request, f"{retried} generation(s) queued again.")

    @admin.action(description="Refund the credits of selected completed generations")
    def refund_generations(self, request, queryset):
        refunded = 0
        for generation in queryset.filter(status=GenerationStatus.COMPLETED):
            usages = CreditTransaction.objects.filter(
                type=TransactionType.USAGE, reference_type="generation", reference_id=str(generation.pk)
            )
            try:
                with transaction.atomic():
                    total = 0
                    for usage in usages:
                        entry = credit_services.refund_usage(
                            transaction_id=usage.pk,
                            idempotency_key=f"generation-refund:{usage.pk}",
                            description=f"Refund of generation {generation.pk}",
                            actor=request.user,
                        )
                        total += entry.amount
                    account_services.record_audit_event(
                        actor=request.user,
                        action="generation.refunded",
                        target=generation,
                        details={"credits": total},
                        request=request,
                    )
            except DomainError as exc:
                self.message_user(request, f"{generation.pk}: {exc.message}", messages.ERROR)
                continue
            refunded += 1
        self.message_user(request, f"{refunded} generation(s) refunded.")


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "user",
        "kind",
        "format_key",
        "display_name",
        "file_format",
        "width",
        "height",
        "size_bytes",
        "status",
        "expires_at",
    )
    list_filter = ("kind", "status", "file_format", "format_key")
    search_fields = ("id", "user__email", "original_filename", "file")
    date_hierarchy = "created_at"
    list_select_related = ("user",)
    readonly_fields = [field.name for field in Asset._meta.fields]

    def has_add_permission(self, request):
        return False
