"""Campaign pages: list, wizard (a draft saved at every step), review, detail, runs and controls."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from campaigns.connections import selectors as connection_selectors
from campaigns.connections import services as connection_services
from campaigns.meta import client as meta
from campaigns.meta.errors import MetaError
from campaigns.publishing import builders, controls, forms, selectors, services
from campaigns.publishing.models import CampaignStatus

FORM_STEPS = ["goal", "budget", "audience", "placements"]


def _common(request, **extra) -> dict:
    connection = connection_selectors.connection_for(request.user)
    return {
        "connection": connection,
        "meta_configured": meta.is_configured(),
        "redirect_uri": connection_services.redirect_uri(),
        "steps": services.WIZARD_STEPS,
        **extra,
    }


def _errors_into(form, error: services.CampaignError) -> None:
    placed = False
    for field, message in error.errors.items():
        if field in form.fields:
            form.add_error(field, message)
            placed = True
        elif field in {"amount_minor", "budget_amount"} and "amount" in form.fields:
            form.add_error("amount", message)
            placed = True
    if not placed or set(error.errors) - set(form.fields) - {"budget_amount"}:
        form.add_error(
            None,
            error.message
            if not error.errors
            else " ".join(m for f, m in error.errors.items() if f not in form.fields and f != "budget_amount")
            or error.message,
        )


@login_required
@require_GET
def index(request):
    return render(
        request,
        "campaigns/index.html",
        _common(request, campaigns=selectors.campaigns_for(request.user), form=forms.NewCampaignForm()),
    )


@login_required
@require_POST
def create(request):
    form = forms.NewCampaignForm(request.POST)
    if form.is_valid():
        campaign = services.create_draft(user=request.user, name=form.cleaned_data["name"])
        return redirect("campaigns:step", campaign_id=campaign.pk, step="goal")
    return render(
        request,
        "campaigns/index.html",
        _common(request, campaigns=selectors.campaigns_for(request.user), form=form),
        status=400,
    )


@login_required
@require_GET
def detail(request, campaign_id):
    campaign = selectors.get_campaign_for_user(request.user, campaign_id)
    return render(
        request,
        "campaigns/detail.html",
        _common(
            request,
            campaign=campaign,
            assets=selectors.assets_of(campaign),
            runs=selectors.runs_of(campaign),
            changes=campaign.changes.select_related("actor")[:50],
            status_form=forms.StatusForm(),
            budget_form=forms.BudgetChangeForm(initial={"amount": campaign.budget_amount / 100}),
            end_form=forms.EndDateForm(),
        ),
    )


def _step_form(step, campaign, connection, data=None):
    if step == "goal":
        initial = {
            "name": campaign.name,
            "objective": campaign.objective,
            "special_ad_categories": campaign.special_ad_categories,
            "ad_account": str(campaign.ad_account_id or ""),
            "page": str(campaign.page_id or ""),
        }
        return forms.GoalForm(data, initial=initial, connection=connection)
    if step == "budget":
        tz = campaign.ad_account.timezone_name if campaign.ad_account else "UTC"
        initial = {
            "budget_type": campaign.budget_type,
            "budget_level": campaign.budget_level,
            "amount": campaign.budget_amount / 100 if campaign.budget_amount else None,
            "currency": campaign.currency or (campaign.ad_account.currency if campaign.ad_account else ""),
            "start": campaign.start_time,
            "end": campaign.end_time,
        }
        return forms.BudgetForm(data, initial=initial, tz_name=tz)
    if step == "audience":
        return forms.AudienceForm(
            data,
            initial=forms.AudienceForm.initial_from(campaign.targeting),
            saved=selectors.saved_audiences(campaign.user),
            chosen=campaign.targeting.get("interests", []),
        )
    return forms.PlacementsForm(data, initial={"mode": campaign.placements_mode, "placements": campaign.placements})


def _save_step(step, campaign, form):
    data = form.cleaned_data
    if step == "goal":
        return services.save_goal(
            campaign=campaign,
            name=data["name"],
            objective=data["objective"],
            special_ad_categories=data["special_ad_categories"],
            ad_account=data["ad_account_obj"],
            page=data["page_obj"],
        )
    if step == "budget":
        return services.save_budget(
            campaign=campaign,
            budget_type=data["budget_type"],
            budget_level=data["budget_level"],
            amount=data["amount_minor"],
            currency=data["currency"],
            start=data["start"],
            end=data["end"],
        )
    if step == "audience":
        return services.save_audience(campaign=campaign, targeting=form.targeting(), save_as=data["save_as"])
    return services.save_placements(campaign=campaign, mode=data["mode"], placements=data["placements"])


@login_required
@require_http_methods(["GET", "POST"])
def wizard_step(request, campaign_id, step):
    campaign = selectors.get_campaign_for_user(request.user, campaign_id)
    if step not in FORM_STEPS:
        raise Http404("No such step.")
    if campaign.status != CampaignStatus.DRAFT:
        messages.info(request, "This campaign is at Meta: change it from here.")
        return redirect("campaigns:detail", campaign_id=campaign.pk)
    connection = connection_selectors.connection_for(request.user)
    estimate = None
    if request.method == "POST" and step == "audience" and request.POST.get("saved_audience"):
        saved = selectors.saved_audiences(request.user).filter(pk=request.POST["saved_audience"]).first()
        if saved is not None and "load" in request.POST:
            campaign.targeting = saved.targeting
            form = _step_form(step, campaign, connection)
            return render(
                request, "campaigns/wizard_step.html", _common(request, campaign=campaign, step=step, form=form)
            )
    form = _step_form(step, campaign, connection, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                _save_step(step, campaign, form)
            except services.CampaignError as exc:
                _errors_into(form, exc)
            else:
                following = services.WIZARD_STEPS[services.WIZARD_STEPS.index(step) + 1]
                if following == "creatives":
                    return redirect("campaigns:creatives", campaign_id=campaign.pk)
                return redirect("campaigns:step", campaign_id=campaign.pk, step=following)
        status = 400
    if step == "audience" and campaign.targeting and connection and connection.can_publish and campaign.ad_account:
        estimate = _estimate(connection, campaign)
    return render(
        request,
        "campaigns/wizard_step.html",
        _common(request, campaign=campaign, step=step, form=form, estimate=estimate),
        status=status,
    )


def _estimate(connection, campaign):
    try:
        return meta.delivery_estimate(
            connection.access_token,
            account_id=campaign.ad_account.account_id,
            targeting=builders.targeting_spec(campaign),
            optimization_goal=builders.OPTIMIZATION_GOALS[campaign.objective],
        )
    except MetaError:
        return None


@login_required
@require_GET
def interests(request, campaign_id):
    campaign = selectors.get_campaign_for_user(request.user, campaign_id)
    query = request.GET.get("q", "").strip()[:100]
    connection = connection_selectors.connection_for(request.user)
    found, error = [], ""
    if query and connection and connection.can_publish:
        try:
            found = meta.search_interests(connection.access_token, query)
        except MetaError as exc:
            error = exc.explanation
    elif query:
        error = "Connect Meta to search interests."
    return render(
        request, "campaigns/_interests.html", {"campaign": campaign, "found": found, "error": error, "query": query}
    )


def _creatives_context(request, campaign, forms_by_asset=None, naming_form=None):
    assets = list(selectors.assets_of(campaign))
    forms_by_asset = forms_by_asset or {}
    return _common(
        request,
        campaign=campaign,
        step="creatives",
        ads=[(a, forms_by_asset.get(a.pk) or forms.CreativeCopyForm(asset=a)) for a in assets],
        library=selectors.library_for(request.user),
        picked={a.generation_id for a in assets},
        naming_form=naming_form or forms.NamingForm(initial={"naming_pattern": campaign.naming_pattern}),
        names=services.ad_names(campaign),
    )


@login_required
@require_GET
def creatives(request, campaign_id):
    campaign = selectors.get_campaign_for_user(request.user, campaign_id)
    if campaign.status != CampaignStatus.DRAFT:
        return redirect("campaigns:detail", campaign_id=campaign.pk)
    return render(request, "campaigns/creatives.html", _creatives_context(request, campaign))


@login_required
@require_POST
def creative_add(request, campaign_id):
    campaign = selectors.get_campaign_for_user(request.user, campaign_id)
    try:
        services.add_creative(campaign=campaign, generation_id=request.POST.get("generation"))
    except (services.CreativeNotFound, ValidationError) as exc:
        raise Http404("No such creative.") from exc
    except services.CampaignError as exc:
        messages.error(request, exc.message)
    return redirect("campaigns:creatives", campaign_id=campaign.pk)


@login_required
@require_POST
def creative_save(request, campaign_id, asset_id):
    campaign = selectors.get_campaign_for_user(request.user, campaign_id)
    asset = selectors.get_asset_for_user(request.user, campaign, asset_id)
    form = forms.CreativeCopyForm(request.POST, asset=asset)
    if form.is_valid():
        try:
            services.save_creative_copy(
                asset=asset,
                utm=form.utm(),
                **{
                    k: form.cleaned_data[k]
                    for k in ("primary_text", "headline", "description", "call_to_action", "destination_url", "formats")
                },
            )
        except services.CampaignError as exc:
            _errors_into(form, exc)
        else:
            messages.success(request, f"Saved {asset}.")
            return redirect("campaigns:creatives", campaign_id=campaign.pk)
    return render(
        request, "campaigns/creatives.html", _creatives_context(request, campaign, {asset.pk: form}), status=400
    )


@login_required
@require_POST
def creative_remove(request, campaign_id, asset_id):
    campaign = selectors.get_campaign_for_user(request.user, campaign_id)
    asset = selectors.get_asset_for_user(request.user, campaign, asset_id)
    try:
        services.remove_creative(campaign=campaign, asset_id=asset.pk)
    except services.CampaignError as exc:
        messages.error(request, exc.message)
    return redirect("campaigns:creatives", campaign_id=campaign.pk)


@login_required
@require_POST
def naming(request, campaign_id):
    campaign = selectors.get_campaign_for_user(request.user, campaign_id)
    form = forms.NamingForm(request.POST)
    if form.is_valid():
        try:
            services.save_naming(campaign=campaign, pattern=form.cleaned_data["naming_pattern"])
        except services.CampaignError as exc:
            _errors_into(form, exc)
        else:
            return redirect("campaigns:review", campaign_id=campaign.pk)
    return render(
        request, "campaigns/creatives.html", _creatives_context(request, campaign, naming_form=form), status=400
    )


@login_required
@require_http_methods(["GET", "POST"])
def review(request, campaign_id):
    campaign = selectors.get_campaign_for_user(request.user, campaign_id)
    if campaign.status != CampaignStatus.DRAFT:
        return redirect("campaigns:detail", campaign_id=campaign.pk)
    form = forms.ReviewForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            run = services.request_publish(user=request.user, campaign=campaign, activate=form.cleaned_data["activate"])
        except services.CampaignError as exc:
            messages.error(request, exc.message + (" " + " ".join(exc.errors.values()) if exc.errors else ""))
        else:
            messages.success(request, "Publishing started. This page shows each object as Meta creates it.")
            return redirect("campaigns:run", run_id=run.pk)
    plan, problems = services.review(campaign=campaign)
    return render(
        request,
        "campaigns/review.html",
        _common(
            request,
            campaign=campaign,
            step="review",
            plan=plan,
            problems=problems,
            form=form,
            names=services.ad_names(campaign),
        ),
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_GET
def run_detail(request, run_id):
    run = selectors.get_run_for_user(request.user, run_id)
    template = "campaigns/_run.html" if request.htmx else "campaigns/run.html"
    return render(
        request, template, _common(request, run=run, campaign=run.campaign, steps=run.steps.select_related("asset"))
    )


@login_required
@require_POST
def run_resume(request, run_id):
    run = selectors.get_run_for_user(request.user, run_id)
    try:
        services.resume_publish(user=request.user, run=run)
    except services.CampaignError as exc:
        messages.error(request, exc.message)
    return redirect("campaigns:run", run_id=run.pk)


@login_required
@require_POST
def run_delete(request, run_id):
    run = selectors.get_run_for_user(request.user, run_id)
    try:
        services.delete_created(user=request.user, run=run)
    except services.CampaignError as exc:
        messages.error(request, exc.message)
    return redirect("campaigns:run", run_id=run.pk)


@login_required
@require_POST
def change_status(request, campaign_id):
    campaign = selectors.get_campaign_for_user(request.user, campaign_id)
    form = forms.StatusForm(request.POST)
    if form.is_valid():
        try:
            controls.change_status(
                campaign=campaign, actor=request.user, action=form.cleaned_data["action"], request=request
            )
            messages.success(
                request, f"Sent to Meta: the campaign is now {campaign.get_delivery_status_display().lower()}."
            )
        except services.CampaignError as exc:
            messages.error(request, exc.message)
    return redirect("campaigns:detail", campaign_id=campaign.pk)


@login_required
@require_POST
def change_budget(request, campaign_id):
    campaign = selectors.get_campaign_for_user(request.user, campaign_id)
    form = forms.BudgetChangeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter a budget amount.")
    else:
        try:
            controls.change_budget(campaign=campaign, actor=request.user, amount=form.amount_minor(), request=request)
            messages.success(request, "Sent to Meta: the budget changed.")
        except services.CampaignError as exc:
            messages.error(request, exc.message)
    return redirect("campaigns:detail", campaign_id=campaign.pk)


@login_required
@require_POST
def change_end(request, campaign_id):
    campaign = selectors.get_campaign_for_user(request.user, campaign_id)
    form = forms.EndDateForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter a date and time.")
    else:
        tz_name = campaign.ad_account.timezone_name if campaign.ad_account else "UTC"
        try:
            controls.change_end_time(
                campaign=campaign,
                actor=request.user,
                end=forms.in_zone(form.cleaned_data["end"], tz_name),
                request=request,
            )
            messages.success(request, "Sent to Meta: the end date changed.")
        except services.CampaignError as exc:
            messages.error(request, exc.message)
    return redirect("campaigns:detail", campaign_id=campaign.pk)
