"""Admin: AI providers (switch on and off, models, whether their environment variables are set),
their prices per call, and the calls made (read only).

Keys and passwords live in the environment only: no page here shows one, only whether it is set.
"""

from django.contrib import admin, messages
from django.db.models import QuerySet

from craftplatform.admin import ReadOnlyAdmin
from generations.models import AIProvider, ProviderCall, ProviderKind, ProviderOperation, ProviderPrice
from generations.providers import get_provider

MODEL_SETTINGS = {
    ProviderKind.OPENAI: ("OPENAI_IMAGE_MODEL", "OPENAI_CHAT_MODEL"),
    ProviderKind.AUTOMATIC1111: ("AUTOMATIC1111_MODEL", None),
}


@admin.register(AIProvider)
class AIProviderAdmin(admin.ModelAdmin):
    list_display = ("__str__", "enabled", "configured", "image_model_used", "chat_model_used", "updated_at")
    list_filter = ("enabled",)
    actions = ["enable_providers", "disable_providers"]
    fieldsets = (
        (None, {"fields": ("key", "enabled", "configured")}),
        (
            "Models",
            {
                "fields": ("image_model", "chat_model", "image_model_used", "chat_model_used"),
                "description": (
                    "Leave a model blank to use the one set in the environment (OPENAI_IMAGE_MODEL, "
                    "OPENAI_CHAT_MODEL, AUTOMATIC1111_MODEL). A provider is used only when it is enabled here "
                    "and configured by its environment variables."
                ),
            },
        ),
        (None, {"fields": ("notes", "created_at", "updated_at")}),
    )

    def has_add_permission(self, request):
        # The providers are the ones the code knows; their rows are seeded by a migration.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        fields = ["key", "configured", "image_model_used", "chat_model_used", "created_at", "updated_at"]
        if obj is not None and obj.key == ProviderKind.BUILTIN:
            fields += ["enabled", "image_model", "chat_model"]  # the built-in renderer is always there
        return fields

    @admin.display(description="Settings")
    def configured(self, obj: AIProvider) -> str:
        return get_provider(obj.key).describe_settings()

    def _model_used(self, obj: AIProvider, operation: str) -> str:
        provider = get_provider(obj.key)
        if not provider.supports(operation):
            return "—"
        chosen = obj.image_model if operation == ProviderOperation.IMAGE else obj.chat_model
        if chosen.strip():
            return f"{chosen.strip()} (set here)"
        default = provider.default_model(operation)
        names = MODEL_SETTINGS.get(obj.key, (None, None))
        setting = names[0] if operation == ProviderOperation.IMAGE else names[1]
        if not default:
            return "the server's own" if obj.key == ProviderKind.AUTOMATIC1111 else "none set"
        return f"{default} (from {setting})" if setting else default

    @admin.display(description="Image model in use")
    def image_model_used(self, obj: AIProvider) -> str:
        return self._model_used(obj, ProviderOperation.IMAGE)

    @admin.display(description="Chat model in use")
    def chat_model_used(self, obj: AIProvider) -> str:
        return self._model_used(obj, ProviderOperation.COPY)

    def _switch(self, request, queryset: QuerySet[AIProvider], *, enabled: bool) -> None:
        changed = 0
        for provider in queryset.exclude(key=ProviderKind.BUILTIN).exclude(enabled=enabled):
            provider.enabled = enabled
            provider.save(update_fields=["enabled", "updated_at"])
            self.log_change(request, provider, [{"changed": {"fields": ["enabled"]}}])
            changed += 1
        verb = "enabled" if enabled else "disabled"
        self.message_user(request, f"{changed} provider(s) {verb}.", messages.SUCCESS if changed else messages.INFO)
        if queryset.filter(key=ProviderKind.BUILTIN).exists():
            self.message_user(request, "The built-in renderer is always available.", messages.INFO)
        if enabled:
            for provider in queryset.filter(enabled=True).exclude(key=ProviderKind.BUILTIN):
                missing = get_provider(provider.key).missing_settings()
                if missing:
                    self.message_user(
                        request,
                        f"{provider} is enabled but not used until {', '.join(missing)} is set.",
                        messages.WARNING,
                    )

    @admin.action(description="Enable selected providers", permissions=["change"])
    def enable_providers(self, request, queryset):
        self._switch(request, queryset, enabled=True)

    @admin.action(description="Disable selected providers", permissions=["change"])
    def disable_providers(self, request, queryset):
        self._switch(request, queryset, enabled=False)


@admin.register(ProviderPrice)
class ProviderPriceAdmin(admin.ModelAdmin):
    list_display = ("provider", "operation", "model_shown", "cost_per_call", "currency", "effective_date", "is_active")
    list_filter = ("provider", "operation", "is_active")
    search_fields = ("model",)
    date_hierarchy = "effective_date"
    fields = ("provider", "operation", "model", "cost_per_call", "currency", "effective_date", "is_active")

    @admin.display(description="Model", ordering="model")
    def model_shown(self, obj: ProviderPrice) -> str:
        return obj.model or "any model"


@admin.register(ProviderCall)
class ProviderCallAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "provider",
        "operation",
        "model",
        "status",
        "status_code",
        "latency_ms",
        "cost",
        "attempt",
        "user",
        "generation_id",
        "image_operation_id",
    )
    list_filter = ("provider", "status", "operation")
    date_hierarchy = "created_at"
    search_fields = ("id", "user__email", "model", "generation__id", "image_operation__id")
    list_select_related = ("user",)
    fields = (
        "created_at",
        "user",
        "generation",
        "image_operation",
        "provider",
        "operation",
        "model",
        "status",
        "status_code",
        "latency_ms",
        "cost",
        "attempt",
        "request_summary",
        "error_message",
    )
    readonly_fields = fields
