"""Admin: image operations. Read only (money moves through the services); failed operations can be
retried, which takes a new hold of the price from the owner and is written to the audit trail."""

from django.contrib import admin, messages

from craftplatform.admin import ReadOnlyAdmin
from craftplatform.errors import DomainError
from generations.models import ImageOperation, OperationStatus
from generations.services import operations as operation_services


@admin.register(ImageOperation)
class ImageOperationAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "user",
        "operation_type",
        "status",
        "provider",
        "credits_quoted",
        "credits_used",
        "api_cost",
        "attempts",
        "processing_time_ms",
    )
    list_filter = ("status", "enqueue_pending", "operation_type", "provider", "created_at")
    search_fields = ("id", "user__email", "source__original_filename", "error_message")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    readonly_fields = ("credits_quoted", "credits_used", "hold", "api_cost")
    raw_id_fields = ("user", "source", "result", "hold")
    actions = ["retry_failed_operations"]

    def has_retry_permission(self, request) -> bool:
        # Retrying holds the owner's credits: it needs the change permission, not just view.
        return request.user.has_perm("generations.change_imageoperation")

    @admin.action(description="Retry failed operations (holds their price again)", permissions=["retry"])
    def retry_failed_operations(self, request, queryset):
        retried, refused = 0, []
        skipped = queryset.exclude(status=OperationStatus.FAILED).count()
        for operation_id in queryset.filter(status=OperationStatus.FAILED).values_list("pk", flat=True):
            try:
                operation_services.retry_image_operation(operation_id=operation_id, actor=request.user, request=request)
            except DomainError as exc:
                refused.append(f"{operation_id}: {exc.message}")
            else:
                retried += 1
        self.message_user(
            request, f"{retried} operation(s) queued again.", messages.SUCCESS if retried else messages.INFO
        )
        for problem in refused:
            self.message_user(request, f"Not retried: {problem}", messages.WARNING)
        if skipped:
            self.message_user(
                request, f"{skipped} selected operation(s) had not failed and were left alone.", messages.INFO
            )
