import csv
import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseBadRequest, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from credits import selectors, stripe_client
from credits.errors import CreditError
from credits.forms import HistoryFilterForm
from credits.services import billing, webhooks

logger = logging.getLogger(__name__)


@login_required
def index(request):
    context = {
        **selectors.plan_summary_for(user=request.user),
        "recent": selectors.transactions_for(user=request.user)[:5],
        "prices": selectors.price_list_for(user=request.user),
        "billing_enabled": billing.billing_enabled(),
    }
    return render(request, "credits/overview.html", context)


@login_required
@require_GET
def packs(request):
    context = {
        "packages": selectors.packages_on_sale(),
        "billing_enabled": billing.billing_enabled(),
        "available": selectors.plan_summary_for(user=request.user)["available"],
    }
    return render(request, "credits/packs.html", context)


@login_required
@require_GET
def plans(request):
    summary = selectors.plan_summary_for(user=request.user)
    context = {
        "plans": selectors.plans_on_offer(),
        "current_plan": summary["plan"],
        "subscription": summary["subscription"],
        "billing_enabled": billing.billing_enabled(),
        "can_manage_billing": summary["can_manage_billing"],
    }
    return render(request, "credits/plans.html", context)


def _to_stripe(request, start, back: str):
    try:
        url = start()
    except CreditError as error:
        messages.error(request, error.message)
        return redirect(back)
    return redirect(url)


@login_required
@require_POST
def buy_pack(request, package_id):
    return _to_stripe(
        request, lambda: billing.start_pack_checkout(user=request.user, package_id=package_id), "credits:packs"
    )


@login_required
@require_POST
def subscribe(request, plan_id):
    return _to_stripe(request, lambda: billing.start_plan_checkout(user=request.user, plan_id=plan_id), "credits:plans")


@login_required
@require_POST
def manage_billing(request):
    return _to_stripe(request, lambda: billing.billing_portal_url(user=request.user), "credits:index")


def _checkout_state(request) -> dict:
    session_id = request.GET.get("session_id", "")
    if not session_id or len(session_id) > 255:
        raise Http404("No such checkout.")
    state = {"session_id": session_id, "status": "waiting", "payment": None, "error": ""}
    try:
        result = billing.fulfil_checkout_session(session_id=session_id, for_user=request.user)
    except billing.NotYourCheckout as error:
        raise Http404("No such checkout.") from error
    except stripe_client.StripeUnavailable as error:
        state["error"] = error.message
        state["payment"] = selectors.payment_for_checkout(user=request.user, session_id=session_id)
        return state
    except stripe_client.InvalidRequestError as error:
        raise Http404("No such checkout.") from error
    except CreditError:
        # Not matched yet (the webhook will finish it); the page keeps waiting.
        logger.info("Checkout not ready to fulfil yet", extra={"session": session_id})
        return state
    state["status"] = result.status
    state["payment"] = result.payment
    state["subscription"] = result.subscription
    return state


@login_required
@require_GET
def checkout_success(request):
    """Where Stripe sends the user back: shows the credits once granted, and says it is waiting until then."""
    state = _checkout_state(request)
    state["available"] = selectors.plan_summary_for(user=request.user)["available"]
    template = "credits/_checkout_status.html" if request.htmx else "credits/checkout_success.html"
    return render(request, template, state)


@login_required
@require_GET
def checkout_cancel(request):
    return render(request, "credits/checkout_cancel.html")


@login_required
@require_GET
def payments(request):
    page = Paginator(selectors.payments_for(user=request.user), 25).get_page(request.GET.get("page"))
    return render(request, "credits/payments.html", {"page": page})


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Stripe's events: verified over the raw body, stored by id, processed once (DESIGN.md section 5)."""
    try:
        event = stripe_client.construct_event(
            payload=request.body, signature=request.headers.get("Stripe-Signature", "")
        )
    except (ValueError, stripe_client.SignatureVerificationError):
        return HttpResponseBadRequest("Invalid payload or signature.")
    try:
        webhooks.process_event(event)
    except Exception:  # noqa: BLE001 - recorded on the stored event; Stripe retries on a non-2xx answer
        return JsonResponse({"received": True, "processed": False}, status=500)
    return JsonResponse({"received": True, "processed": True})


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
