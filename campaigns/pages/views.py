"""The landing-page editor: list, create, edit components with a live preview, publish."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from campaigns.pages import components as schema
from campaigns.pages import copywriting, forms, rendering, selectors, services
from campaigns.pages.errors import PageError
from campaigns.pages.starting_points import STARTING_POINTS
from craftplatform.errors import DomainError
from generations import selectors as generation_selectors
from generations.providers import ProviderError
from generations.services import operations as upload_services

IMAGE_CHOICES = 24


@login_required
@require_GET
def page_list(request):
    pages = list(selectors.pages_for_user(user=request.user))
    stats = selectors.page_stats(user=request.user)
    for page in pages:
        page.stats = stats.get(page.pk, {})
    return render(
        request,
        "campaigns/pages/list.html",
        {
            "pages": pages,
            "handle": selectors.handle_for(user=request.user),
            "starting_points": STARTING_POINTS.values(),
        },
    )


@login_required
def page_new(request):
    values = {"name": "", "slug": "", "starting_point": request.GET.get("start", "lead_capture")}
    error = ""
    if request.method == "POST":
        values = {key: request.POST.get(key, "") for key in values}
        try:
            page = services.create_page(
                user=request.user, name=values["name"], slug=values["slug"], starting_point=values["starting_point"]
            )
        except DomainError as exc:
            error = exc.message
        else:
            return redirect("campaigns:page_edit", page.pk)
    return render(
        request,
        "campaigns/pages/new.html",
        {"values": values, "error": error, "starting_points": STARTING_POINTS.values()},
        status=400 if error else 200,
    )


def _editor_context(request, page, *, errors=None, open_id=None, posted=None):
    components = list(page.components.all())
    images = list(generation_selectors.assets_for_user(user=request.user).order_by("-created_at")[:IMAGE_CHOICES])
    rows = []
    for component in components:
        is_open = str(component.pk) == str(open_id)
        props = posted if (is_open and posted is not None) else component.props
        rows.append(
            {
                "component": component,
                "spec": schema.component_type(component.component_type),
                "fields": forms.form_fields(component.component_type, props, errors if is_open else None),
                "open": is_open,
            }
        )
    offer = copywriting.copy_offer(user=request.user, page=page)
    writable = {str(c.pk) for c in components if copywriting.slots_of(c)}
    for row in rows:
        row["writable"] = offer.available and str(row["component"].pk) in writable
    return {
        "page": page,
        "copy_offer": offer,
        "copy_unit": offer.credits // len(writable) if writable and offer.credits else 0,
        "rows": rows,
        "types": schema.COMPONENT_TYPES.values(),
        "images": images,
        "handle": selectors.handle_for(user=request.user),
        "stats": selectors.page_stats(user=request.user, page_ids=[page.pk]).get(page.pk, {}),
        "versions": page.versions.order_by("-number")[:5],
        "device": request.GET.get("device", "desktop"),
    }


def _editor(request, page, *, status=200, **kwargs):
    context = _editor_context(request, page, **kwargs)
    template = "campaigns/pages/_editor_panel.html" if request.htmx else "campaigns/pages/editor.html"
    response = render(request, template, context, status=status)
    if request.htmx:
        response["HX-Trigger"] = "preview-refresh"
    return response


@login_required
@require_GET
def page_edit(request, page_id):
    page = selectors.get_page_for_user(user=request.user, page_id=page_id)
    return _editor(request, page, open_id=request.GET.get("open"))


@login_required
@require_GET
def page_preview(request, page_id):
    page = selectors.get_page_for_user(user=request.user, page_id=page_id)
    items = [{"id": str(c.pk), "type": c.component_type, "props": c.props} for c in page.components.all()]
    draft_urls = {}
    image_ids = {i for item in items for i in schema.image_ids(item["type"], item["props"])}
    for asset in generation_selectors.assets_for_user(user=request.user).filter(pk__in=image_ids):
        draft_urls[str(asset.pk)] = {"src": asset.file.url, "srcset": "", "width": asset.width, "height": asset.height}
    brand = services.brand_snapshot(request.user)
    if brand["logo"]:
        draft_urls["logo"] = {"src": request.user.brand_profile.logo.url, "srcset": ""}
    rendered = rendering.render_page(
        page_id=str(page.pk),
        version_number=0,
        title=page.title or page.name,
        description=page.description,
        items=items,
        brand=brand,
        images={},
        submit_url="#",
        preview=True,
        draft_urls=draft_urls,
    )
    response = HttpResponse(rendered.html.replace(rendering.FORM_TOKEN, "").replace(rendering.ATTRIBUTION, ""))
    response["Content-Security-Policy"] = rendered.csp.replace("img-src 'self'", "img-src 'self' blob:")
    response["X-Frame-Options"] = "SAMEORIGIN"
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def component_add(request, page_id):
    page = selectors.get_page_for_user(user=request.user, page_id=page_id)
    try:
        component = services.add_component(page=page, component_type=request.POST.get("component_type", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
        return _editor(request, page, status=400) if request.htmx else redirect("campaigns:page_edit", page.pk)
    if request.htmx:
        return _editor(request, page, open_id=component.pk)
    return redirect(reverse("campaigns:page_edit", args=[page.pk]) + f"?open={component.pk}#c-{component.pk}")


@login_required
@require_POST
def component_update(request, component_id):
    component = selectors.get_component_for_user(user=request.user, component_id=component_id)
    page = component.page
    props = forms.props_from_post(component.component_type, request.POST)
    try:
        services.update_component(component=component, props=props)
    except schema.ComponentError as exc:
        return _editor(
            request, page, status=400, errors=exc.errors or {"form": exc.message}, open_id=component.pk, posted=props
        )
    except DomainError as exc:
        return _editor(request, page, status=400, errors={"form": exc.message}, open_id=component.pk, posted=props)
    if request.htmx:
        return _editor(request, page, open_id=component.pk)
    messages.success(request, "Saved.")
    return redirect(reverse("campaigns:page_edit", args=[page.pk]) + f"?open={component.pk}#c-{component.pk}")


@login_required
@require_POST
def component_move(request, component_id, direction):
    if direction not in ("up", "down"):
        raise Http404
    component = selectors.get_component_for_user(user=request.user, component_id=component_id)
    services.move_component(component=component, offset=-1 if direction == "up" else 1)
    return _editor(request, component.page) if request.htmx else redirect("campaigns:page_edit", component.page_id)


@login_required
@require_POST
def component_remove(request, component_id):
    component = selectors.get_component_for_user(user=request.user, component_id=component_id)
    services.remove_component(component=component)
    return _editor(request, component.page) if request.htmx else redirect("campaigns:page_edit", component.page_id)


@login_required
@require_POST
def page_undo(request, page_id):
    page = selectors.get_page_for_user(user=request.user, page_id=page_id)
    if not services.undo_last_change(page=page):
        messages.info(request, "There is nothing to undo.")
    page.refresh_from_db()
    return _editor(request, page) if request.htmx else redirect("campaigns:page_edit", page.pk)


@login_required
@require_POST
def page_write_copy(request, page_id):
    """“Write it for me”: the whole page's copy, or one component's (`component` in the form)."""
    page = selectors.get_page_for_user(user=request.user, page_id=page_id)
    component_id = request.POST.get("component") or None
    if component_id:
        try:
            component_id = uuid.UUID(component_id)
        except ValueError:
            raise Http404 from None
        component_id = selectors.get_component_for_user(user=request.user, component_id=component_id).pk
    try:
        changed = copywriting.write_page_copy(
            user=request.user, page=page, component_id=component_id, goal=request.POST.get("goal", "")
        )
    except schema.ComponentError as exc:
        messages.error(request, "; ".join(exc.errors.values()) or exc.message)
    except (DomainError, ProviderError) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"The AI wrote {len(changed)} component{'s' if len(changed) != 1 else ''}: undo if you prefer yours.",
        )
    page.refresh_from_db()
    if request.htmx:
        return _editor(request, page, open_id=component_id)
    return redirect("campaigns:page_edit", page.pk)


@login_required
@require_POST
def image_upload(request, page_id):
    page = selectors.get_page_for_user(user=request.user, page_id=page_id)
    upload = request.FILES.get("image")
    if upload is None:
        messages.error(request, "Choose an image to upload.")
    else:
        try:
            upload_services.upload_image(user=request.user, upload=upload)
            messages.success(request, "Image uploaded: pick it in an image field.")
        except DomainError as exc:
            messages.error(request, exc.message)
    return redirect("campaigns:page_edit", page.pk)


@login_required
def page_settings(request, page_id):
    page = selectors.get_page_for_user(user=request.user, page_id=page_id)
    errors = {}
    if request.method == "POST":
        data = {
            key: request.POST.get(key, "")
            for key in (
                "name",
                "slug",
                "title",
                "description",
                "conversion_type",
                "conversion_value",
                "currency",
                "lead_retention_days",
            )
        }
        data["notify_owner"] = request.POST.get("notify_owner") == "on"
        try:
            services.update_page_settings(page=page, data=data)
        except schema.ComponentError as exc:
            errors = exc.errors or {"form": exc.message}
            page = selectors.get_page_for_user(user=request.user, page_id=page_id)
            for key, value in data.items():
                if key not in errors:
                    setattr(page, key, value)
        else:
            messages.success(request, "Page settings saved.")
            return redirect("campaigns:page_edit", page.pk)
    return render(
        request, "campaigns/pages/settings.html", {"page": page, "errors": errors}, status=400 if errors else 200
    )


@login_required
@require_POST
def page_publish(request, page_id):
    page = selectors.get_page_for_user(user=request.user, page_id=page_id)
    try:
        version = services.publish_page(page=page, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Version {version.number} is live.")
    return redirect("campaigns:page_edit", page.pk)


@login_required
@require_POST
def page_unpublish(request, page_id):
    page = selectors.get_page_for_user(user=request.user, page_id=page_id)
    services.unpublish_page(page=page)
    messages.success(request, "The page is taken down: its address now answers “gone”.")
    return redirect("campaigns:page_edit", page.pk)


@login_required
def page_delete(request, page_id):
    page = selectors.get_page_for_user(user=request.user, page_id=page_id)
    if request.method == "POST":
        services.delete_page(page=page)
        messages.success(request, f"“{page.name}” and its leads were deleted.")
        return redirect("campaigns:pages")
    return render(request, "campaigns/pages/confirm_delete.html", {"page": page})


@login_required
def handle_settings(request):
    error = ""
    handle = selectors.handle_for(user=request.user) or services.ensure_handle(user=request.user).handle
    if request.method == "POST":
        handle = request.POST.get("handle", "")
        try:
            services.set_handle(user=request.user, handle=handle)
        except PageError as exc:
            error = exc.message
        else:
            messages.success(request, "Your pages' address changed.")
            return redirect("campaigns:pages")
    return render(
        request, "campaigns/pages/handle.html", {"handle": handle, "error": error}, status=400 if error else 200
    )
