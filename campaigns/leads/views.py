"""The leads inbox: list, filter by page, export as CSV, delete."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from campaigns.leads import selectors, services
from campaigns.pages import selectors as page_selectors


@login_required
@require_GET
def lead_list(request):
    page_id = request.GET.get("page") or None
    if page_id:
        page_selectors.get_page_for_user(user=request.user, page_id=page_id)
    leads = Paginator(selectors.leads_for_user(user=request.user, page_id=page_id), 50).get_page(request.GET.get("p"))
    return render(
        request,
        "campaigns/leads/list.html",
        {
            "leads": leads,
            "pages": page_selectors.page_choices(user=request.user),
            "page_id": page_id,
            "by_campaign": selectors.conversions_by_campaign(user=request.user, page_id=page_id),
        },
    )


@login_required
@require_GET
def lead_export(request):
    page_id = request.GET.get("page") or None
    if page_id:
        page_selectors.get_page_for_user(user=request.user, page_id=page_id)
    body = services.leads_csv(selectors.leads_for_user(user=request.user, page_id=page_id).iterator(chunk_size=500))
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="leads-{timezone.now():%Y-%m-%d}.csv"'
    return response


@login_required
@require_POST
def lead_delete(request, lead_id):
    lead = selectors.get_lead_for_user(user=request.user, lead_id=lead_id)
    services.delete_lead(lead=lead)
    messages.success(request, "The lead was deleted.")
    return redirect("campaigns:leads")
