"""The campaign's numbers page and "Sync now" (thin: parse, call one selector or service, render)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from campaigns.publishing import selectors as publishing_selectors
from campaigns.sync import selectors, services


@login_required
@require_GET
def performance(request, campaign_id):
    campaign = publishing_selectors.get_campaign_for_user(request.user, campaign_id)
    try:
        days = int(request.GET.get("days", 28))
    except ValueError:
        days = 28
    if days not in selectors.PERIODS:
        days = 28
    report = selectors.campaign_performance(
        campaign=campaign, days=days, today=selectors.account_today(campaign.ad_account)
    )
    return render(
        request,
        "campaigns/performance.html",
        {
            "campaign": campaign,
            "days": days,
            "periods": selectors.PERIODS,
            "last_sync": selectors.last_sync(campaign.ad_account),
            **report,
        },
    )


@login_required
@require_POST
def sync_now(request, account_id):
    ad_account = selectors.ad_account_for_user(request.user, account_id)
    try:
        run, created = services.sync_now(user=request.user, ad_account=ad_account)
    except services.SyncError as exc:
        messages.error(request, exc.message)
    else:
        if created:
            messages.success(request, f"Syncing {ad_account.name}: the numbers update in a few minutes.")
        else:
            messages.info(request, f"{ad_account.name} is already syncing ({run.get_status_display().lower()}).")
    target = request.POST.get("next", "")
    if target.startswith("/campaigns/") and "//" not in target:
        return redirect(target)
    return redirect("campaigns:index")
