from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.contrib.auth.models import Group
from django.utils.html import format_html, format_html_join

from accounts import services
from accounts.constants import PALETTE_KEYS
from accounts.models import ApiKey, AuditEvent, BrandProfile, BusinessProfile, User, UserPreference
from craftplatform.admin import ReadOnlyAdmin


class CraftUserCreationForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class CraftUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class PreferenceInline(admin.StackedInline):
    model = UserPreference
    can_delete = False
    extra = 0


class BusinessInline(admin.StackedInline):
    model = BusinessProfile
    can_delete = False
    extra = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = CraftUserChangeForm
    add_form = CraftUserCreationForm
    ordering = ("-created_at",)
    list_display = (
        "email",
        "full_name",
        "auth_provider",
        "is_verified",
        "is_active",
        "is_staff",
        "created_at",
        "last_login",
    )
    list_filter = ("is_active", "is_staff", "is_superuser", "is_verified", "auth_provider", "created_at")
    search_fields = ("email", "first_name", "last_name", "auth_provider_id")
    readonly_fields = ("id", "created_at", "updated_at", "last_login")
    date_hierarchy = "created_at"
    inlines = [PreferenceInline, BusinessInline]
    actions = ["activate_users", "deactivate_users"]
    fieldsets = (
        (None, {"fields": ("id", "email", "password")}),
        ("Profile", {"fields": ("first_name", "last_name", "avatar", "metadata")}),
        ("Sign-in", {"fields": ("auth_provider", "auth_provider_id", "is_verified")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "created_at", "updated_at")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    @admin.display(description="Name")
    def full_name(self, obj):
        return obj.get_full_name()

    def save_model(self, request, obj, form, change):
        before = {}
        if change:
            original = User.objects.get(pk=obj.pk)
            before = {field: getattr(original, field) for field in services.ACCESS_FIELDS}
        super().save_model(request, obj, form, change)
        if change:
            after = {field: getattr(obj, field) for field in services.ACCESS_FIELDS}
            services.record_access_change(actor=request.user, user=obj, before=before, after=after, request=request)
        else:
            services.ensure_user_records(user=obj)
            services.record_audit_event(actor=request.user, action="user.created_by_staff", target=obj, request=request)

    def save_related(self, request, form, formsets, change):
        before_groups = set(form.instance.groups.values_list("name", flat=True)) if change else set()
        before_perms = set(form.instance.user_permissions.values_list("codename", flat=True)) if change else set()
        super().save_related(request, form, formsets, change)
        after_groups = set(form.instance.groups.values_list("name", flat=True))
        after_perms = set(form.instance.user_permissions.values_list("codename", flat=True))
        if before_groups != after_groups or before_perms != after_perms:
            services.record_audit_event(
                actor=request.user,
                action="user.permissions_changed",
                target=form.instance,
                details={
                    "groups_added": sorted(after_groups - before_groups),
                    "groups_removed": sorted(before_groups - after_groups),
                    "permissions_added": sorted(after_perms - before_perms),
                    "permissions_removed": sorted(before_perms - after_perms),
                },
                request=request,
            )

    def delete_model(self, request, obj):
        services.delete_account(user=obj, request=request)
        services.record_audit_event(
            actor=request.user, action="user.deleted_by_staff", details={"user_id": str(obj.pk)}, request=request
        )

    def delete_queryset(self, request, queryset):
        for user in queryset:
            self.delete_model(request, user)

    @admin.action(description="Activate selected users", permissions=["change"])
    def activate_users(self, request, queryset):
        count = services.set_users_active(actor=request.user, users=list(queryset), active=True, request=request)
        self.message_user(request, f"{count} user(s) activated.", messages.SUCCESS)

    @admin.action(description="Deactivate selected users (they can no longer sign in)", permissions=["change"])
    def deactivate_users(self, request, queryset):
        try:
            count = services.set_users_active(actor=request.user, users=list(queryset), active=False, request=request)
        except services.AccountError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        self.message_user(request, f"{count} user(s) deactivated.", messages.SUCCESS)


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin):
    def save_related(self, request, form, formsets, change):
        before = set(form.instance.permissions.values_list("codename", flat=True)) if change else set()
        super().save_related(request, form, formsets, change)
        after = set(form.instance.permissions.values_list("codename", flat=True))
        if before != after:
            services.record_audit_event(
                actor=request.user,
                action="group.permissions_changed",
                target=form.instance,
                details={"added": sorted(after - before), "removed": sorted(before - after)},
                request=request,
            )


@admin.register(BrandProfile)
class BrandProfileAdmin(admin.ModelAdmin):
    list_display = ("__str__", "user", "logo_preview", "palette_preview", "updated_at")
    search_fields = ("name", "user__email", "website_url")
    list_select_related = ("user",)
    readonly_fields = ("id", "created_at", "updated_at", "logo_preview", "palette_preview")
    raw_id_fields = ("user",)

    @admin.display(description="Logo")
    def logo_preview(self, obj):
        if not obj.logo:
            return "—"
        return format_html('<img src="{}" alt="" style="max-height:32px;max-width:96px">', obj.logo.url)

    @admin.display(description="Palette")
    def palette_preview(self, obj):
        return format_html_join(
            "",
            '<span title="{}" style="display:inline-block;width:16px;height:16px;border:1px solid #ccc;background:{}">'
            "</span>",
            ((key, obj.colour(key)) for key in PALETTE_KEYS),
        )


@admin.register(BusinessProfile)
class BusinessProfileAdmin(admin.ModelAdmin):
    list_display = ("__str__", "user", "industry", "business_type", "monthly_budget_range", "updated_at")
    list_filter = ("industry", "business_type", "monthly_budget_range")
    search_fields = ("business_name", "user__email", "website_url")
    list_select_related = ("user",)
    raw_id_fields = ("user",)


@admin.register(UserPreference)
class UserPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "timezone", "language", "content_filter_level", "updated_at")
    list_filter = ("content_filter_level", "language")
    search_fields = ("user__email",)
    list_select_related = ("user",)
    raw_id_fields = ("user",)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "scope_label", "created_at", "last_used_at", "revoked_at")
    list_filter = ("access", "revoked_at")
    search_fields = ("name", "prefix", "user__email")
    list_select_related = ("user",)
    fields = ("id", "user", "name", "prefix", "access", "groups", "created_at", "last_used_at", "revoked_at")
    readonly_fields = fields
    actions = ["revoke_keys"]

    def has_add_permission(self, request):
        return False  # keys are created by their owner, who is the only one to see the secret

    @admin.action(description="Revoke selected keys", permissions=["change"])
    def revoke_keys(self, request, queryset):
        for key in queryset.filter(revoked_at__isnull=True):
            services.revoke_api_key(key=key, actor=request.user, request=request)
        self.message_user(request, "The selected keys are revoked.", messages.SUCCESS)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "action", "actor", "target_type", "target_repr", "ip_address")
    list_filter = ("action", "target_type", "created_at")
    search_fields = ("action", "target_id", "target_repr", "actor__email", "ip_address")
    list_select_related = ("actor",)
    date_hierarchy = "created_at"
