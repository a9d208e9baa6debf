from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from templates_app import selectors, services
from templates_app.forms import BrandFontUploadForm, GalleryFilterForm
from templates_app.selectors import GalleryFilters, Sort
from templates_app.services import PREVIEW_SCALE
from templates_app.spec import FORMAT_KEYS, FORMATS, nearest_format, ordered_slot_names

RESULTS_TARGET = "gallery-results"
# Line icons (24 by 24, drawn with the text colour) for the icon names categories use.
CATEGORY_ICONS = {
    "all": '<rect x="3" y="3" width="7" height="7" rx="1.5"/><rect x="14" y="3" width="7" height="7" rx="1.5"/>'
    '<rect x="3" y="14" width="7" height="7" rx="1.5"/><rect x="14" y="14" width="7" height="7" rx="1.5"/>',
    "tag": '<path d="M20.6 13.4l-7.2 7.2a2 2 0 0 1-2.8 0L3 13V3h10l7.6 7.6a2 2 0 0 1 0 2.8z"/><circle cx="7.5" cy="7.5" r="1.5"/>',
    "sparkles": '<path d="M11 3l1.8 4.7 4.7 1.8-4.7 1.8L11 16l-1.8-4.7L4.5 9.5l4.7-1.8z"/>'
    '<path d="M18 14l.8 2.2 2.2.8-2.2.8L18 20l-.8-2.2-2.2-.8 2.2-.8z"/>',
    "inbox": '<path d="M22 12h-6l-2 3h-4l-2-3H2"/><path d="M5.5 5h13L22 12v6a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2v-6z"/>',
    "megaphone": '<path d="M3 10v4a1 1 0 0 0 1 1h2l6 4V5L6 9H4a1 1 0 0 0-1 1z"/><path d="M16 9a4 4 0 0 1 0 6"/>'
    '<path d="M19 6a8 8 0 0 1 0 12"/>',
    "calendar": '<rect x="3" y="4" width="18" height="17" rx="2"/><path d="M16 2v4M8 2v4M3 10h18"/>',
    "phone": '<rect x="6" y="2" width="12" height="20" rx="2.5"/><path d="M11 18h2"/>',
    "repeat": '<path d="M17 2l4 4-4 4"/><path d="M3 12v-2a4 4 0 0 1 4-4h14"/><path d="M7 22l-4-4 4-4"/>'
    '<path d="M21 12v2a4 4 0 0 1-4 4H3"/>',
    "quote": '<path d="M5 7h5v5c0 3-2 5-4.5 6"/><path d="M14 7h5v5c0 3-2 5-4.5 6"/>',
    "map-pin": '<path d="M12 22s7-6.2 7-12a7 7 0 0 0-14 0c0 5.8 7 12 7 12z"/><circle cx="12" cy="10" r="2.5"/>',
    "sun": '<circle cx="12" cy="12" r="4"/><path d="M12 2v2M12 20v2M4.9 4.9l1.4 1.4M17.7 17.7l1.4 1.4M2 12h2M20 12h2'
    'M4.9 19.1l1.4-1.4M17.7 6.3l1.4-1.4"/>',
}
CATEGORY_ICONS = {name: mark_safe(svg) for name, svg in CATEGORY_ICONS.items()}  # noqa: S308 (constant markup above)
FORMAT_ICONS = {"1:1": (14, 14), "4:5": (13, 16), "9:16": (10, 17), "16:9": (18, 10)}


def customise_url(template) -> str:
    """The generation page for this template once it exists; the creatives area until then (no dead link)."""
    try:
        return reverse("generations:customise", args=[template.slug])
    except NoReverseMatch:
        return reverse("generations:index")


def _query(filters: GalleryFilters, **changes) -> str:
    """The query string of these filters (defaults left out), so links keep every other filter."""
    values = {
        "q": filters.q,
        "category": filters.category,
        "industry": filters.industry,
        "style": filters.style,
        "campaign_type": filters.campaign_type,
        "format": filters.format,
        "favorites": "1" if filters.favorites else "",
        "no_product_photo": "1" if filters.no_product_photo else "",
        "sort": filters.sort if filters.sort not in ("featured", "relevance") else "",
        **changes,
    }
    query = QueryDict(mutable=True)
    for key, value in values.items():
        if value:
            query[key] = value
    return query.urlencode()


def _active_filters(form: GalleryFilterForm, filters: GalleryFilters) -> list[dict]:
    """Each filter in use as a removable chip: its label and the URL without it."""
    names = {c.slug: c.name for c in form.categories}
    labels = {
        "q": f"“{filters.q}”",
        "category": names.get(filters.category, ""),
        "industry": dict(form.fields["industry"].choices).get(filters.industry, ""),
        "style": dict(form.fields["style"].choices).get(filters.style, ""),
        "campaign_type": dict(form.fields["campaign_type"].choices).get(filters.campaign_type, ""),
        "format": f"Designed for {filters.format}",
        "favorites": "Favourites",
        "no_product_photo": "No product photo needed",
    }
    chips = []
    for name, label in labels.items():
        if getattr(filters, name):
            chips.append({"name": name, "label": label, "query": _query(filters.without(name))})
    return chips


@login_required
@require_GET
def index(request):
    categories = selectors.active_categories()
    form = GalleryFilterForm(request.GET, categories=categories)
    filters = form.filters()
    page = selectors.gallery_page(user=request.user, filters=filters, page_number=request.GET.get("page") or 1)
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "templates": page.object_list,
        "query": _query(filters),
        "active_filters": _active_filters(form, filters),
        "all_filter_names": "q category industry style campaign_type format favorites no_product_photo",
        "format_icons": FORMAT_ICONS,
        # "Recommended" (no value) is featured first when browsing and best match when searching.
        "sort_choices": [
            (value, label) for value, label in Sort.CHOICES if value not in (Sort.FEATURED, Sort.RELEVANCE)
        ],
        "thumbnail_size": services.THUMBNAIL_SIZE,
        "categories": categories,
        "category_options": [(category, CATEGORY_ICONS.get(category.icon, "")) for category in categories],
        "all_icon": CATEGORY_ICONS["all"],
    }
    partial = request.htmx and request.htmx.target == RESULTS_TARGET and not request.htmx.history_restore_request
    response = render(
        request, "templates_app/_gallery_results.html" if partial else "templates_app/gallery.html", context
    )
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


def _format_rows(template) -> list[dict]:
    rows = []
    for key in FORMAT_KEYS:
        fmt = FORMATS[key]
        name = (template.previews or {}).get(key)
        adapted = key in (template.adapted_formats or [])
        rows.append(
            {
                "key": key,
                "label": fmt.label,
                "canvas": f"{fmt.width} × {fmt.height}",
                "width": round(fmt.width * PREVIEW_SCALE),
                "height": round(fmt.height * PREVIEW_SCALE),
                "url": default_storage.url(name) if name else "",
                "adapted": adapted,
                "adapted_from": nearest_format(template.native_formats, key)
                if adapted and template.native_formats
                else "",
            }
        )
    return rows


def _slot_rows(template) -> list[dict]:
    rows = []
    spec = template.render_spec or {}
    for name in ordered_slot_names(spec):
        slot = spec["slots"][name]
        kind = slot.get("type")
        default = slot.get("default", "")
        if kind == "color" and isinstance(default, str) and default.startswith("brand."):
            default = f"Your brand's {default.removeprefix('brand.')} colour"
        elif kind == "image":
            default = "Your brand logo" if slot.get("role") == "logo" else ""
        rows.append(
            {
                "name": name,
                "label": slot.get("label") or name,
                "type": {"text": "Text", "image": "Image", "color": "Colour"}.get(kind, kind),
                "limit": f"{slot['max_chars']} characters" if kind == "text" and slot.get("max_chars") else "",
                "required": slot.get("required", kind == "text"),
                "default": default,
                "swatch": slot.get("default") if kind == "color" and str(default).startswith("#") else "",
                "help": slot.get("help", ""),
            }
        )
    return rows


def _metric_rows(summary) -> list[tuple[str, str]]:
    if summary is None:
        return []
    rows = [("Click-through rate", f"{summary.ctr:.2%}" if summary.ctr is not None else "—")]
    if summary.conversion_rate is not None:
        rows.append(("Conversion rate", f"{summary.conversion_rate:.2%}"))
    if summary.engagement_rate is not None:
        rows.append(("Engagement rate", f"{summary.engagement_rate:.2%}"))
    rows.append(("Impressions", f"{summary.impressions:,}"))
    return rows


@login_required
@require_GET
def detail(request, slug):
    template = selectors.get_template_for_user(user=request.user, slug=slug)
    metrics = selectors.metric_summary(template=template)
    context = {
        "template": template,
        "formats": _format_rows(template),
        "slots": _slot_rows(template),
        "metrics": metrics,
        "metric_rows": _metric_rows(metrics),
        "customise_url": customise_url(template),
    }
    return render(request, "templates_app/detail.html", context)


@login_required
@require_POST
def favorite(request, slug):
    """Set (favorite=1) or clear (favorite=0) a favourite; without the field, flip it.

    htmx gets the updated button back; a plain form post goes back where it came from.
    """
    template_id = selectors.get_template_id_for_user(user=request.user, slug=slug)
    wanted = request.POST.get("favorite")
    try:
        if wanted in ("0", "1"):
            is_favorite = services.set_favorite(user=request.user, template_id=template_id, favorite=wanted == "1")
        else:
            is_favorite = services.toggle_favorite(user=request.user, template_id=template_id)
    except services.TemplateNotFound as exc:
        raise Http404(exc.message) from exc
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("templates_app:detail", args=[slug])
    if request.htmx:
        template = selectors.get_template_for_user(user=request.user, slug=slug)
        template.is_favorite = is_favorite
        context = {"template": template, "next": next_url, "variant": request.POST.get("variant", "card")}
        return render(request, "templates_app/_favorite_button.html", context)
    return redirect(next_url)


# -- brand fonts -------------------------------------------------------------------------------

ROLE_NAMES = {"heading_font": "heading", "body_font": "body"}


@login_required
@require_http_methods(["GET", "POST"])
def brand_fonts(request):
    """The user's uploaded fonts: the list with previews, the upload form, and a delete button each."""
    form = BrandFontUploadForm(request.POST, request.FILES) if request.method == "POST" else BrandFontUploadForm()
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                font = services.upload_brand_font(user=request.user, upload=form.cleaned_data["file"])
            except services.BrandFontError as exc:
                form.add_error("file", exc.message)
            else:
                messages.success(
                    request, f"{font} was added. Choose “{font.family}” in your brand kit to use it in your ads."
                )
                return redirect("templates_app:brand_fonts")
        status = 400
    fonts = list(selectors.brand_fonts_for_user(user=request.user))
    context = {"form": form, "fonts": fonts, "limit": services.MAX_BRAND_FONTS}
    return render(request, "templates_app/brand_fonts.html", context, status=status)


@login_required
@require_POST
def delete_brand_font(request, font_id):
    try:
        deletion = services.delete_brand_font(user=request.user, font_id=font_id)
    except services.BrandFontNotFound as exc:
        raise Http404(exc.message) from exc
    message = f"{deletion.font} was deleted."
    if deletion.reset_roles:
        roles = " and ".join(ROLE_NAMES.get(role, role) for role in deletion.reset_roles)
        message += f" Your brand kit's {roles} font is {services.fonts.FALLBACK_FAMILY} again."
    messages.success(request, message)
    return redirect("templates_app:brand_fonts")


@login_required
@require_GET
def brand_font_preview(request, font_id):
    """A PNG sample of one of the user's fonts (404 for anyone else's)."""
    font = selectors.get_brand_font_for_user(user=request.user, font_id=font_id)
    try:
        png = services.render_font_preview(font=font)
    except (services.BrandFontError, OSError) as exc:
        raise Http404("No preview for this font.") from exc
    response = HttpResponse(png, content_type="image/png")
    # The font's file never changes (a new upload is a new font), so neither does its preview.
    response["Cache-Control"] = "private, max-age=86400"
    return response
