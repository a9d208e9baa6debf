"""Integrations: WordPress sites (connect, publish a page) and outgoing webhooks with their log."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from campaigns.integrations import webhooks, wordpress
from campaigns.integrations.models import SiteIntegration, WebhookDelivery, WebhookEndpoint, WebhookEvent
from campaigns.pages import selectors as page_selectors
from craftplatform.errors import DomainError


def _site(request, site_id) -> SiteIntegration:
    return get_object_or_404(SiteIntegration, pk=site_id, user=request.user)


def _endpoint(request, endpoint_id) -> WebhookEndpoint:
    return get_object_or_404(WebhookEndpoint, pk=endpoint_id, user=request.user)


@login_required
def integrations(request):
    sites = SiteIntegration.objects.filter(user=request.user).prefetch_related("publications__page")
    endpoints = WebhookEndpoint.objects.filter(user=request.user)
    return render(
        request,
        "campaigns/integrations/index.html",
        {
            "sites": sites,
            "endpoints": endpoints,
            "events": WebhookEvent.choices,
            "pages": page_selectors.page_choices(user=request.user, published_only=True),
            "new_secret": request.session.pop("webhook_secret", None),
        },
    )


@login_required
@require_POST
def site_connect(request):
    try:
        wordpress.connect_site(
            user=request.user,
            name=request.POST.get("name", ""),
            site_url=request.POST.get("site_url", ""),
            username=request.POST.get("username", ""),
            app_password=request.POST.get("app_password", ""),
        )
    except DomainError as exc:
        messages.error(request, f"The site was not connected: {exc.message}")
    else:
        messages.success(request, "WordPress site connected.")
    return redirect("campaigns:integrations")


@login_required
@require_POST
def site_publish(request, site_id):
    site = _site(request, site_id)
    page = page_selectors.get_page_for_user(user=request.user, page_id=request.POST.get("page", ""))
    try:
        publication = wordpress.publish_to_wordpress(integration=site, page=page)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Published to WordPress: {publication.remote_url or publication.remote_id}")
    return redirect("campaigns:integrations")


@login_required
@require_POST
def site_remove(request, site_id):
    _site(request, site_id).delete()
    messages.success(request, "The WordPress site was disconnected (its pages on WordPress stay).")
    return redirect("campaigns:integrations")


@login_required
@require_POST
def webhook_create(request):
    try:
        endpoint = webhooks.create_endpoint(
            user=request.user,
            url=request.POST.get("url", ""),
            events=request.POST.getlist("events"),
            description=request.POST.get("description", ""),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        # Shown once, on the next page only: the secret is never displayed again.
        request.session["webhook_secret"] = {"id": str(endpoint.pk), "secret": endpoint.secret}
        messages.success(request, "Webhook added. Copy its signing secret now: it is shown only once.")
    return redirect("campaigns:integrations")


@login_required
@require_POST
def webhook_update(request, endpoint_id):
    endpoint = _endpoint(request, endpoint_id)
    if request.POST.get("delete"):
        endpoint.delete()
        messages.success(request, "Webhook removed.")
    elif request.POST.get("rotate"):
        secret = webhooks.rotate_secret(endpoint=endpoint)
        request.session["webhook_secret"] = {"id": str(endpoint.pk), "secret": secret}
        messages.success(request, "New signing secret made: copy it now.")
    else:
        try:
            webhooks.update_endpoint(
                endpoint=endpoint,
                events=request.POST.getlist("events"),
                is_active=request.POST.get("is_active") == "on",
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Webhook saved.")
    return redirect("campaigns:integrations")


@login_required
def webhook_deliveries(request, endpoint_id):
    endpoint = _endpoint(request, endpoint_id)
    return render(
        request,
        "campaigns/integrations/deliveries.html",
        {
            "endpoint": endpoint,
            "deliveries": endpoint.deliveries.order_by("-created_at")[:100],
        },
    )


@login_required
@require_POST
def delivery_replay(request, delivery_id):
    delivery = get_object_or_404(
        WebhookDelivery.objects.select_related("endpoint"), pk=delivery_id, endpoint__user=request.user
    )
    webhooks.replay(delivery=delivery)
    messages.success(request, "Sent again: see the new line in the log.")
    return redirect("campaigns:webhook_deliveries", delivery.endpoint_id)
