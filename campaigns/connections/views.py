"""Connection settings: connect with Facebook Login, choose ad accounts and a Page, disconnect."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from campaigns.connections import selectors
from campaigns.connections import services as connection_services
from campaigns.connections.forms import ChooseAccountsForm
from campaigns.meta import client as meta
from campaigns.meta.errors import MetaNotConfigured


@login_required
@require_GET
def connection(request):
    current = selectors.connection_for(request.user)
    form = ChooseAccountsForm(connection=current) if current and current.access_token else None
    missing = [
        (scope, connection_services.SCOPE_REASONS.get(scope, ""))
        for scope in (current.scopes_missing if current else [])
    ]
    return render(
        request,
        "campaigns/connection.html",
        {
            "connection": current,
            "form": form,
            "configured": meta.is_configured(),
            "missing_scopes": missing,
            "scopes": [(s, connection_services.SCOPE_REASONS[s]) for s in meta.SCOPES],
        },
    )


@login_required
@require_POST
def connect_start(request):
    try:
        return redirect(connection_services.start_connect(session=request.session))
    except MetaNotConfigured:
        messages.error(request, "Publishing needs the operator to configure a Meta app first.")
        return redirect("campaigns:connection")


@login_required
@require_GET
def connect_callback(request):
    try:
        connection_services.complete_connect(
            user=request.user,
            session=request.session,
            state=request.GET.get("state", ""),
            code=request.GET.get("code", ""),
            error=request.GET.get("error", ""),
        )
    except connection_services.ConnectError as exc:
        messages.error(request, str(exc))
        return redirect("campaigns:connection")
    messages.success(request, "Meta is connected. Choose the ad accounts and the Page to publish with.")
    return redirect("campaigns:connection")


@login_required
@require_POST
def choose_accounts(request):
    current = selectors.connection_for(request.user)
    if current is None:
        raise Http404("No connection.")
    form = ChooseAccountsForm(request.POST, connection=current)
    if form.is_valid():
        try:
            connection_services.choose_accounts(
                connection=current,
                account_ids=form.cleaned_data["ad_accounts"],
                page_id=form.cleaned_data["page"] or None,
                use_instagram=form.cleaned_data["use_instagram"],
            )
        except connection_services.ConnectError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Saved: new campaigns publish with these.")
            return redirect("campaigns:connection")
    return render(
        request,
        "campaigns/connection.html",
        {
            "connection": current,
            "form": form,
            "configured": meta.is_configured(),
            "missing_scopes": [],
            "scopes": [(s, connection_services.SCOPE_REASONS[s]) for s in meta.SCOPES],
        },
        status=400,
    )


@login_required
@require_POST
def disconnect(request):
    current = selectors.connection_for(request.user)
    if current is None:
        raise Http404("No connection.")
    connection_services.disconnect(connection=current, actor=request.user, request=request)
    messages.success(request, "Meta is disconnected: CraftAds' access was revoked and the token deleted.")
    return redirect("campaigns:connection")
