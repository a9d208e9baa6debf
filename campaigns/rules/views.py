"""Rule pages: the user's rules and suggestions, a campaign's rules, the rule form with its
backtest, and approve / reject / undo (thin: parse, call one service or selector, render)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from campaigns.publishing import selectors as publishing_selectors
from campaigns.rules import engine, explanations, selectors, services
from campaigns.rules.forms import RuleForm
from generations.services.providers import feature_status

BACKTEST_DAYS = (30, 60, 90)


@login_required
def index(request):
    return render(
        request,
        "campaigns/rules.html",
        {
            "rules": [
                (rule, [engine.describe(c) for c in rule.conditions]) for rule in selectors.rules_for(request.user)
            ],
            "pending": selectors.pending_for(request.user)[:50],
            "logs": selectors.logs_for(request.user)[:50],
            "campaigns": publishing_selectors.campaigns_for(request.user).filter(status="published"),
            "templates": services.RULE_TEMPLATES,
            # Users see the button only when it works; staff see what would switch it on.
            "explain": explanations.explanations_available(),
            "explain_setup": feature_status()["ai_copy"].message if request.user.is_staff else "",
        },
    )


def _form_page(request, *, campaign, form, rule=None, backtest=None, days=None, status=200):
    return render(
        request,
        "campaigns/rule_form.html",
        {
            "campaign": campaign,
            "form": form,
            "rule": rule,
            "backtest": backtest,
            "days": days,
            "backtest_days": BACKTEST_DAYS,
        },
        status=status,
    )


def _save(request, *, campaign, form, rule=None):
    if not form.is_valid():
        return _form_page(request, campaign=campaign, form=form, rule=rule, status=400)
    try:
        saved = services.save_rule(user=request.user, campaign=campaign, data=form.to_data(), rule=rule)
    except services.RuleError as exc:
        for name, message in exc.errors.items():
            form.add_error(name if name in form.fields else ("metric_1" if name == "conditions" else None), message)
        return _form_page(request, campaign=campaign, form=form, rule=rule, status=400)
    messages.success(request, f"Rule “{saved.name}” saved. It is checked after each sync.")
    return redirect("campaigns:rule", rule_id=saved.pk)


@login_required
@require_http_methods(["GET", "POST"])
def create(request, campaign_id):
    campaign = publishing_selectors.get_campaign_for_user(request.user, campaign_id)
    if request.method == "POST":
        return _save(request, campaign=campaign, form=RuleForm(request.POST))
    preset = services.RULE_TEMPLATES.get(request.GET.get("template", ""), {"mode": "suggest"})
    return _form_page(
        request, campaign=campaign, form=RuleForm(initial={"mode": "suggest", **RuleForm.initial_from(preset)})
    )


@login_required
@require_http_methods(["GET", "POST"])
def detail(request, rule_id):
    rule = selectors.get_rule_for_user(request.user, rule_id)
    if request.method == "POST":
        return _save(request, campaign=rule.campaign, form=RuleForm(request.POST), rule=rule)
    source = {f.name: getattr(rule, f.name) for f in rule._meta.fields}
    backtest, days = None, None
    if request.GET.get("backtest"):
        days = int(request.GET["backtest"]) if request.GET["backtest"] in {str(d) for d in BACKTEST_DAYS} else 30
        backtest = services.backtest(rule=rule, days=days)
    return _form_page(
        request,
        campaign=rule.campaign,
        form=RuleForm(initial=RuleForm.initial_from(source)),
        rule=rule,
        backtest=backtest,
        days=days,
    )


@login_required
@require_POST
def delete(request, rule_id):
    rule = selectors.get_rule_for_user(request.user, rule_id)
    name = rule.name
    rule.delete()
    messages.success(request, f"Rule “{name}” deleted; its log stays.")
    return redirect("campaigns:rules")


@login_required
@require_POST
def log_action(request, log_id, action):
    log = selectors.get_log_for_user(request.user, log_id)
    handlers = {"approve": services.approve, "reject": services.reject, "undo": services.undo}
    if action not in handlers:
        return redirect("campaigns:rules")
    try:
        log = handlers[action](log=log, user=request.user)
    except services.RuleError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{log.rule_name}: {log.get_status_display().lower()}.")
    return redirect("campaigns:rules")


@login_required
@require_POST
def log_explain(request, log_id):
    log = selectors.get_log_for_user(request.user, log_id)
    try:
        explanations.explain_suggestion(log=log, user=request.user)
    except explanations.ExplanationError as exc:
        messages.error(request, exc.message)
    return redirect("campaigns:rules")
