"""Staff authoring of the template library: categories, templates and their specs, metrics, favourites;
and users' uploaded brand fonts (read, or deleted through the service so their files go too).

Templates are never deleted from here (generations keep pointing at them): staff deactivate
them instead. Saving a template goes through `services.save_template`, which validates the
spec, versions it and renders its previews in a transaction of its own; so the change form
does not wrap the save in the admin's usual transaction (see `changeform_view`).
"""

import base64
import json

from django.contrib import admin, messages
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Count
from django.http import HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from accounts import services as account_services
from craftplatform.admin import ReadOnlyAdmin, permission_view
from templates_app import services
from templates_app.errors import TemplateSpecError
from templates_app.forms import AdTemplateAdminForm, MetricsImportForm
from templates_app.models import AdMetric, AdTemplate, BrandFont, Category, FavoriteTemplate, TemplateSpecVersion
from templates_app.spec import FORMAT_KEYS, FORMATS, nearest_format

MAX_PREVIEW_BODY = 1024 * 1024


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "icon", "display_order", "is_active", "template_count")
    list_editable = ("display_order", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("id", "created_at", "updated_at")
    ordering = ("display_order", "name")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(template_total=Count("template_links"))

    @admin.display(description="Templates", ordering="template_total")
    def template_count(self, obj):
        return obj.template_total

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate a category instead: templates and links keep it


class SpecVersionInline(admin.TabularInline):
    model = TemplateSpecVersion
    fields = ("version", "created_at", "created_by", "formats")
    readonly_fields = fields
    ordering = ("-version",)
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = "Spec versions (kept so generations can be rendered again exactly)"

    @admin.display(description="Formats laid out")
    def formats(self, obj):
        return ", ".join(key for key in FORMAT_KEYS if key in (obj.spec or {}).get("formats", {}))

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def _thumbnail(obj, size: int):
    if not obj.thumbnail:
        return "—"
    return format_html(
        '<img src="{}" alt="" width="{}" height="{}" loading="lazy" style="border-radius:6px;object-fit:cover">',
        obj.thumbnail.url,
        size,
        size,
    )


@admin.register(AdTemplate)
class AdTemplateAdmin(admin.ModelAdmin):
    form = AdTemplateAdminForm
    change_form_template = "templates_app/admin/adtemplate/change_form.html"
    list_display = (
        "thumbnail_small",
        "name",
        "slug",
        "industry",
        "style",
        "campaign_type",
        "native_formats_label",
        "is_featured",
        "is_active",
        "spec_version",
        "usage_count",
        "ctr_label",
        "updated_at",
    )
    list_display_links = ("thumbnail_small", "name")
    list_filter = (
        "is_active",
        "is_featured",
        "needs_product_photo",
        "industry",
        "style",
        "campaign_type",
        "categories",
    )
    search_fields = ("name", "slug", "description")
    readonly_fields = (
        "id",
        "spec_version",
        "formats_info",
        "previews_gallery",
        "usage_count",
        "best_ctr",
        "metric_impressions",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("name", "slug", "description")}),
        (
            "In the gallery",
            {"fields": ("industry", "style", "campaign_type", "tags", "category_choices", "is_featured", "is_active")},
        ),
        ("Design", {"fields": ("spec", "spec_version", "formats_info", "previews_gallery")}),
        ("Use and performance", {"fields": ("usage_count", "best_ctr", "metric_impressions")}),
        ("More", {"classes": ("collapse",), "fields": ("metadata", "id", "created_at", "updated_at")}),
    )
    inlines = [SpecVersionInline]
    actions = ["duplicate", "feature", "unfeature", "activate", "deactivate"]
    ordering = ("-created_at",)

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj else {"slug": ("name",)}

    def get_queryset(self, request):
        return super().get_queryset(request).defer("render_spec", "search_text", "search_vector")

    # -- list columns ------------------------------------------------------------------------

    @admin.display(description="")
    def thumbnail_small(self, obj):
        return _thumbnail(obj, 48)

    @admin.display(description="Designed for")
    def native_formats_label(self, obj):
        return ", ".join(obj.native_formats or [])

    @admin.display(description="CTR", ordering="best_ctr")
    def ctr_label(self, obj):
        return f"{obj.best_ctr:.2%}" if obj.best_ctr is not None else "—"

    # -- change form -------------------------------------------------------------------------

    @admin.display(description="Formats")
    def formats_info(self, obj):
        if not obj.pk:
            return "Rendered when you save."
        rows = []
        for key in FORMAT_KEYS:
            if key in (obj.adapted_formats or []):
                rows.append((key, f"adapted from {nearest_format(obj.native_formats, key)}"))
            else:
                rows.append((key, "laid out in the spec"))
        return format_html_join("", "<div><strong>{}</strong>: {}</div>", rows)

    @admin.display(description="Saved previews")
    def previews_gallery(self, obj):
        if not obj.previews:
            return "—"
        return format_html_join(
            "",
            '<figure style="display:inline-block;margin:0 12px 12px 0;vertical-align:top">'
            '<img src="{}" alt="{} preview" style="max-height:220px;border:1px solid #ddd;border-radius:6px">'
            '<figcaption style="font-size:11px">{}</figcaption></figure>',
            (
                (default_storage.url(obj.previews[key]), key, FORMATS[key].label)
                for key in FORMAT_KEYS
                if key in obj.previews
            ),
        )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # Not wrapped in the admin's transaction: save_template runs its own (durable) one, so
        # a failed save can delete the render files it wrote. See the module docstring.
        extra_context = {
            **(extra_context or {}),
            "preview_url": reverse("admin:templates_app_adtemplate_preview"),
        }
        return self._changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        outcome = services.save_template(
            template=obj,
            spec=form.cleaned_data["spec"],
            categories=form.cleaned_data["category_choices"],
            actor=request.user,
            prepared=form.prepared,
            request=request,
        )
        if outcome.spec_changed and change:
            messages.info(request, f"The spec changed: this is version {outcome.template.spec_version}.")
        for warning in outcome.warnings[:10]:
            messages.warning(request, f"{warning.format_key}: {warning.message}")

    def save_related(self, request, form, formsets, change):
        # Categories were saved by save_template; the only inline (spec versions) is read-only.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def has_delete_permission(self, request, obj=None):
        return False  # generations keep pointing at templates: deactivate instead

    # -- live preview ------------------------------------------------------------------------

    def get_urls(self):
        return [
            path(
                "preview/",
                permission_view(
                    self,
                    require_POST(self.preview_view),
                    ("templates_app.change_adtemplate", "templates_app.add_adtemplate"),
                ),
                name="templates_app_adtemplate_preview",
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request):
        """Render an unsaved spec (the JSON body's "spec" text) in every format, for the change form."""
        if not (self.has_change_permission(request) or self.has_add_permission(request)):
            return HttpResponseForbidden("You may not edit templates.")
        if len(request.body) > MAX_PREVIEW_BODY:
            return JsonResponse({"ok": False, "problems": [{"path": "", "message": "The spec is too large."}]})
        try:
            spec = json.loads(json.loads(request.body or b"{}").get("spec", ""))
        except (json.JSONDecodeError, AttributeError, TypeError) as exc:
            message = (
                f"Not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
                if hasattr(exc, "msg")
                else "Not valid JSON."
            )
            return JsonResponse({"ok": False, "problems": [{"path": "", "message": message}]})
        try:
            prepared, images = services.render_live_preview(spec)
        except TemplateSpecError as exc:
            problems = [{"path": where, "message": what} for where, what in exc.problems]
            return JsonResponse({"ok": False, "problems": problems})
        formats = [
            {
                "key": key,
                "label": FORMATS[key].label,
                "adapted": key in prepared.adapted_formats,
                "adapted_from": nearest_format(prepared.native_formats, key) if key in prepared.adapted_formats else "",
                "image": "data:image/webp;base64," + base64.b64encode(images[key]).decode(),
            }
            for key in FORMAT_KEYS
        ]
        warnings = [{"format": w.format_key, "path": w.path, "message": w.message} for w in prepared.warnings]
        return JsonResponse({"ok": True, "formats": formats, "warnings": warnings})

    # -- actions -----------------------------------------------------------------------------

    @admin.action(description="Duplicate selected templates (as inactive copies)", permissions=["add"])
    def duplicate(self, request, queryset):
        copies = [
            services.duplicate_template(template=template, actor=request.user, request=request) for template in queryset
        ]
        self.message_user(
            request,
            format_html(
                "Made {} inactive cop{}: {}",
                len(copies),
                "y" if len(copies) == 1 else "ies",
                format_html_join(
                    ", ",
                    '<a href="{}">{}</a>',
                    ((reverse("admin:templates_app_adtemplate_change", args=[c.pk]), c.slug) for c in copies),
                ),
            ),
            messages.SUCCESS,
        )

    @admin.action(description="Feature selected templates", permissions=["change"])
    def feature(self, request, queryset):
        count = services.set_featured(templates=queryset, featured=True, actor=request.user, request=request)
        self.message_user(request, f"{count} template(s) featured.", messages.SUCCESS)

    @admin.action(description="Stop featuring selected templates", permissions=["change"])
    def unfeature(self, request, queryset):
        count = services.set_featured(templates=queryset, featured=False, actor=request.user, request=request)
        self.message_user(request, f"{count} template(s) no longer featured.", messages.SUCCESS)

    @admin.action(description="Activate selected templates (show them in the gallery)", permissions=["change"])
    def activate(self, request, queryset):
        count = services.set_active(templates=queryset, active=True, actor=request.user, request=request)
        self.message_user(request, f"{count} template(s) activated.", messages.SUCCESS)

    @admin.action(description="Deactivate selected templates (hide them from the gallery)", permissions=["change"])
    def deactivate(self, request, queryset):
        count = services.set_active(templates=queryset, active=False, actor=request.user, request=request)
        self.message_user(request, f"{count} template(s) deactivated.", messages.SUCCESS)


@admin.register(TemplateSpecVersion)
class TemplateSpecVersionAdmin(ReadOnlyAdmin):
    list_display = ("template", "version", "created_by", "created_at")
    list_select_related = ("template", "created_by")
    search_fields = ("template__name", "template__slug")
    fields = ("template", "version", "created_by", "created_at", "spec_json")
    readonly_fields = fields

    @admin.display(description="Spec")
    def spec_json(self, obj):
        return format_html("<pre style='max-height:40em;overflow:auto'>{}</pre>", json.dumps(obj.spec, indent=2))


@admin.register(AdMetric)
class AdMetricAdmin(ReadOnlyAdmin):
    """Metrics come from real data only: the CSV import here, and synced campaigns later."""

    change_list_template = "templates_app/admin/admetric/change_list.html"
    list_display = (
        "template",
        "recorded_at",
        "source",
        "impressions",
        "ctr_label",
        "conversion_label",
        "engagement_label",
    )
    list_filter = ("source", "recorded_at")
    search_fields = ("template__name", "template__slug")
    list_select_related = ("template",)
    date_hierarchy = "recorded_at"

    @admin.display(description="CTR", ordering="ctr")
    def ctr_label(self, obj):
        return f"{obj.ctr:.2%}"

    @admin.display(description="Conversion rate", ordering="conversion_rate")
    def conversion_label(self, obj):
        return f"{obj.conversion_rate:.2%}" if obj.conversion_rate is not None else "—"

    @admin.display(description="Engagement rate", ordering="engagement_rate")
    def engagement_label(self, obj):
        return f"{obj.engagement_rate:.2%}" if obj.engagement_rate is not None else "—"

    def get_urls(self):
        return [
            path(
                "import/",
                permission_view(self, self.import_view, "templates_app.add_admetric"),
                name="templates_app_admetric_import",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_import": request.user.has_perm("templates_app.add_admetric")}
        return super().changelist_view(request, extra_context)

    def import_view(self, request):
        form = MetricsImportForm(request.POST or None, request.FILES or None)
        row_errors: list[tuple[int, str]] = []
        status = 200
        if request.method == "POST" and form.is_valid():
            try:
                report = services.import_metrics_csv(
                    file=form.cleaned_data["file"], actor=request.user, request=request
                )
            except services.MetricsImportError as exc:
                row_errors = exc.errors
                status = 400
            else:
                messages.success(
                    request,
                    f"Imported {report.rows} row(s) for {report.templates} template(s): "
                    f"{report.created} new, {report.updated} replaced.",
                )
                return redirect("admin:templates_app_admetric_changelist")
        elif request.method == "POST":
            status = 400
        context = {
            **self.admin_site.each_context(request),
            "title": "Import template metrics from CSV",
            "form": form,
            "row_errors": row_errors[: services.metrics.MAX_ERRORS_SHOWN],
            "more_errors": max(0, len(row_errors) - services.metrics.MAX_ERRORS_SHOWN),
            "error_count": len(row_errors),
            "opts": self.model._meta,
        }
        return render(request, "templates_app/admin/admetric/import.html", context, status=status)


@admin.register(FavoriteTemplate)
class FavoriteTemplateAdmin(ReadOnlyAdmin):
    list_display = ("user", "template", "created_at")
    list_select_related = ("user", "template")
    search_fields = ("user__email", "template__name", "template__slug")


@admin.register(BrandFont)
class BrandFontAdmin(ReadOnlyAdmin):
    """Users' uploaded fonts: read only. Deleting one goes through the service (the file goes too,
    and a brand kit naming the family's last face falls back to Inter) and is audited."""

    list_display = ("family", "face", "user", "original_name", "size_label", "created_at")
    list_select_related = ("user",)
    list_filter = ("style", "weight")
    search_fields = ("family", "user__email", "original_name", "sha256")
    # The stored name as text: local media is public, so user files are not linked from pages.
    fields = ("id", "user", "family", "weight", "style", "original_name", "file_name", "size", "sha256", "created_at")
    readonly_fields = fields

    @admin.display(description="Face", ordering="weight")
    def face(self, obj):
        return obj.face_label

    @admin.display(description="Stored as")
    def file_name(self, obj):
        return obj.file.name

    @admin.display(description="Size", ordering="size")
    def size_label(self, obj):
        return f"{obj.size / 1024:.0f} KB"

    def has_delete_permission(self, request, obj=None):
        return request.user.has_perm("templates_app.delete_brandfont")

    def delete_model(self, request, obj):
        with transaction.atomic():
            services.delete_brand_font(user=obj.user, font_id=obj.pk)
            account_services.record_audit_event(
                actor=request.user,
                action="brand_font.deleted_by_staff",
                target=obj,
                details={"user_id": str(obj.user_id), "family": obj.family},
                request=request,
            )

    def delete_queryset(self, request, queryset):
        for font in queryset.select_related("user"):
            self.delete_model(request, font)
