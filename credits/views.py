import csv

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from credits import selectors
from credits.forms import HistoryFilterForm


@login_required
def index(request):
    context = {
        "account": selectors.account_for(user=request.user),
        "recent": selectors.transactions_for(user=request.user)[:5],
        "prices": selectors.price_list_for(user=request.user),
    }
    return render(request, "credits/overview.html", context)


def _filtered(request):
    form = HistoryFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    entries = selectors.transactions_for(
        user=request.user,
        type=filters.get("type", ""),
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
    )
    return form, entries


@login_required
def history(request):
    form, entries = _filtered(request)
    page = Paginator(entries, 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "credits/history.html", {"form": form, "page": page, "query": query.urlencode()})


class _Echo:
    def write(self, value):
        return value


@login_required
def history_csv(request):
    _, entries = _filtered(request)
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(["date", "kind", "credits", "balance after", "description", "reference"])
        for entry in entries.iterator():
            yield writer.writerow(
                [
                    entry.created_at.isoformat(),
                    entry.get_type_display(),
                    entry.amount,
                    entry.balance_after,
                    entry.description,
                    f"{entry.reference_type}:{entry.reference_id}" if entry.reference_type else "",
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="craftads-credits-{timezone.now():%Y-%m-%d}.csv"'
    return response
