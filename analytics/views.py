"""Analytics pages: the user's own, and operators' reports (staff with the view permission only)."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from analytics.reports import RangeForm, csv_response
from analytics.selectors import ads, pages, queues, staff, user

STAFF_PERMISSION = "analytics.view_platformday"


def _period(request, today):
    form = RangeForm(request.GET or None)
    if request.GET and not form.is_valid():
        return form, None
    if not request.GET:
        form = RangeForm({"days": 28})
        form.is_valid()
    return form, form.date_range(today)


def _respond(request, template: str, context: dict, *, export_prefix: str):
    wanted = request.GET.get("export")
    if wanted:
        for table in context.get("tables", []):
            if table.key == wanted:
                return csv_response(table, filename_prefix=export_prefix)
        raise Http404("No such table.")
    return render(request, template, context)


def _invalid(request, template: str, form, title: str):
    return render(request, template, {"form": form, "title": title, "tables": []}, status=400)


@login_required
@require_GET
def index(request):
    form, period = _period(request, user.user_today(user=request.user))
    if period is None:
        return _invalid(request, "analytics/user.html", form, "Analytics")
    report = user.credits_report(user=request.user, period=period)
    ad_report = ads.ad_performance_report(user=request.user, period=period)
    page_report = pages.landing_page_report(user=request.user, period=period)
    context = {"form": form, "period": period, "title": "Analytics", **report, **ad_report, **page_report}
    # Every table of the page, for ?export=<key>.
    context["credit_tables"] = report["tables"]
    context["tables"] = [*report["tables"], *ad_report["ad_tables"], *page_report["page_tables"]]
    return _respond(
        request,
        "analytics/user.html",
        context,
        export_prefix=f"craftads-{period.first}-{period.last}",
    )


def staff_report(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        # Someone without the permission learns nothing, not even that the page exists.
        if not (request.user.is_staff and request.user.has_perm(STAFF_PERMISSION)):
            raise Http404
        return view(request, *args, **kwargs)

    return require_GET(wrapper)


def _staff_page(request, *, title: str, key: str, build):
    form, period = _period(request, timezone.now().date())
    if period is None:
        return _invalid(request, "analytics/staff.html", form, title)
    context = {"form": form, "period": period, "title": title, "active": key, **build(period)}
    return _respond(
        request, "analytics/staff.html", context, export_prefix=f"craftads-{key}-{period.first}-{period.last}"
    )


@staff_report
def staff_revenue(request):
    return _staff_page(request, title="Revenue", key="revenue", build=lambda p: staff.revenue_report(period=p))


@staff_report
def staff_ai_cost(request):
    return _staff_page(
        request, title="AI cost and earnings", key="ai-cost", build=lambda p: staff.ai_cost_report(period=p)
    )


@staff_report
def staff_usage(request):
    def build(period):
        report = staff.usage_report(period=period)
        report["queues"] = queues.queue_depths()
        report["oldest_waiting"] = queues.oldest_waiting()
        return report

    return _staff_page(request, title="Usage", key="usage", build=build)


@staff_report
def staff_heavy_users(request):
    return _staff_page(
        request,
        title="Heavy users",
        key="heavy-users",
        build=lambda p: staff.heavy_users_report(period=p, today=timezone.now().date()),
    )
