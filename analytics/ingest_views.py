"""The beacon endpoint: validate, rate limit per address and append (one Redis round trip), answer 204."""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from analytics import ingest
from craftplatform.client_address import client_address


def _no_content() -> HttpResponse:
    response = HttpResponse(status=204)
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt  # a beacon from a public page: no session, no cookie; the page key is checked instead
@require_POST
def events(request):
    user_agent = request.META.get("HTTP_USER_AGENT", "")[:500]
    if ingest.opted_out(request.META) or ingest.is_bot(user_agent):
        return _no_content()
    try:
        events = ingest.parse(request.body)
    except ingest.BadEvent as exc:
        return JsonResponse({"error": "invalid event", "field": str(exc)}, status=400)
    address = client_address(request)
    country = (
        request.META.get(settings.PAGE_EVENTS_COUNTRY_META, "")[:2].upper() if settings.PAGE_EVENTS_COUNTRY_META else ""
    )
    visitor = ingest.visitor_hash(address, user_agent)
    if not ingest.accept(events, address=address, visitor=visitor, country=country):
        return JsonResponse({"error": "rate limited"}, status=429)
    return _no_content()
