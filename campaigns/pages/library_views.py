"""The component library: save a configured component, share it, search it, copy it into a page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from campaigns.pages import components as schema
from campaigns.pages import selectors, services
from craftplatform.errors import DomainError


@login_required
def library(request):
    scope = "shared" if request.GET.get("scope") == "shared" else "mine"
    component_type = request.GET.get("type", "")
    if component_type not in schema.COMPONENT_TYPES:
        component_type = ""
    rows = selectors.library(
        user=request.user,
        scope=scope,
        component_type=component_type,
        tag=request.GET.get("tag", "")[:30],
        text=request.GET.get("q", "")[:100],
    )[:60]
    target_page = None
    if request.GET.get("page"):
        target_page = selectors.get_page_for_user(user=request.user, page_id=request.GET["page"])
    return render(
        request,
        "campaigns/library/list.html",
        {
            "rows": rows,
            "scope": scope,
            "types": schema.COMPONENT_TYPES.values(),
            "component_type": component_type,
            "tag": request.GET.get("tag", ""),
            "q": request.GET.get("q", ""),
            "target_page": target_page,
            "pages": selectors.page_choices(user=request.user),
        },
    )


@login_required
def library_save(request, component_id):
    component = selectors.get_component_for_user(user=request.user, component_id=component_id)
    error = ""
    values = {"name": schema.component_type(component.component_type).label, "tags": "", "is_public": False}
    if request.method == "POST":
        values = {
            "name": request.POST.get("name", ""),
            "tags": request.POST.get("tags", ""),
            "is_public": request.POST.get("is_public") == "on",
        }
        try:
            services.save_to_library(component=component, **values)
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, "Saved to your component library.")
            return redirect("campaigns:page_edit", component.page_id)
    return render(
        request,
        "campaigns/library/save.html",
        {"component": component, "values": values, "error": error},
        status=400 if error else 200,
    )


@login_required
@require_POST
def library_copy(request, saved_id):
    saved = selectors.get_saved_for_user(user=request.user, saved_id=saved_id, shared_ok=True)
    page = selectors.get_page_for_user(user=request.user, page_id=request.POST.get("page", ""))
    try:
        component = services.copy_saved_component(saved=saved, page=page, user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("campaigns:library")
    messages.success(request, f"“{saved.name}” was added to the page.")
    return redirect(f"/campaigns/pages/{page.pk}/edit/?open={component.pk}#c-{component.pk}")


@login_required
@require_POST
def library_update(request, saved_id):
    saved = selectors.get_saved_for_user(user=request.user, saved_id=saved_id)
    if request.POST.get("delete"):
        saved.delete()
        messages.success(request, "Removed from your library.")
        return redirect("campaigns:library")
    try:
        services.update_saved_component(
            saved=saved,
            name=request.POST.get("name", saved.name),
            tags=request.POST.get("tags", ""),
            is_public=request.POST.get("is_public") == "on",
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Saved.")
    return redirect("campaigns:library")
