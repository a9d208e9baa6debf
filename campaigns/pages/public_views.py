"""The public pages: /p/<handle>/<slug>/ served from the published version through the cache, and
the lead form's POST. No session, no cookie, no CSRF token (the page is cached for everyone): the
form is protected by its signed time token, a honeypot and a rate limit instead."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from django.utils.html import escape
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from campaigns.leads import attribution
from campaigns.leads import services as lead_services
from campaigns.pages import public_cache, rendering, selectors
from campaigns.pages.models import PageStatus
from craftplatform.client_address import client_address

GONE = "<!doctype html><meta charset=utf-8><title>Page removed</title><h1>This page is no longer available.</h1>"
MISSING = "<!doctype html><meta charset=utf-8><title>Not found</title><h1>There is no page at this address.</h1>"
MINIMAL_CSP = "default-src 'none'; base-uri 'none'; frame-ancestors 'none'"
# A visitor's values shown back with the errors: whole, up to a bound far past every field's limit.
REDISPLAY_LIMIT = 10_000


def _headers(response: HttpResponse, csp: str) -> HttpResponse:
    response["Content-Security-Policy"] = csp
    response["Referrer-Policy"] = "strict-origin-when-cross-origin"
    response["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), interest-cohort=()"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cross-Origin-Opener-Policy"] = "same-origin"
    return response


def _render(page, **form_state) -> rendering.Rendered:
    version = page.published_version
    handle = selectors.handle_for(user=page.user)
    return rendering.render_page(
        page_id=str(page.pk),
        version_number=version.number,
        title=version.title,
        description=version.description,
        items=version.components,
        brand=version.brand,
        images=version.images,
        submit_url=reverse("campaigns_public:submit", args=[handle, page.slug]),
        **form_state,
    )


def _entry(handle: str, slug: str) -> dict:
    page = selectors.public_page(handle=handle, slug=slug)
    if page is None or page.published_version is None:
        return {"status": 404}
    if page.status != PageStatus.PUBLISHED:
        return {"status": 410}
    rendered = _render(page)
    return {"status": 200, "html": rendered.html, "csp": rendered.csp, "form": rendered.has_form}


def _attribution_inputs(params) -> str:
    values = attribution.from_params(params)
    return "".join(
        f'<input type="hidden" name="{key}" value="{escape(values[key])}">'
        for key in (*attribution.UTM_KEYS, "fbclid")
        if values[key]
    )


def _personalise(html: str, request, params) -> str:
    """Per-request parts of a cached page: the form's time token and the visit's attribution."""
    referrer = request.META.get("HTTP_REFERER", "")[:500]
    extra = _attribution_inputs(params)
    if referrer:
        extra += f'<input type="hidden" name="referrer" value="{escape(referrer)}">'
    return html.replace(rendering.FORM_TOKEN, lead_services.form_token()).replace(rendering.ATTRIBUTION, extra)


@require_GET
def page(request, handle: str, slug: str):
    entry = public_cache.get(handle, slug)
    if entry is None:
        entry = _entry(handle, slug)
        public_cache.put(handle, slug, entry)
    if entry["status"] == 404:
        return _headers(HttpResponse(MISSING, status=404), MINIMAL_CSP)
    if entry["status"] == 410:
        return _headers(HttpResponse(GONE, status=410), MINIMAL_CSP)
    html = _personalise(entry["html"], request, request.GET) if entry["form"] else entry["html"]
    response = HttpResponse(html)
    response["Cache-Control"] = "private, no-cache" if entry["form"] else "public, max-age=60"
    return _headers(response, entry["csp"])


@csrf_exempt
@require_POST
def submit(request, handle: str, slug: str):
    found = selectors.public_page(handle=handle, slug=slug)
    if found is None or found.published_version is None:
        return _headers(HttpResponse(MISSING, status=404), MINIMAL_CSP)
    country = request.META.get(settings.PAGE_EVENTS_COUNTRY_META, "") if settings.PAGE_EVENTS_COUNTRY_META else ""
    try:
        lead_services.submit_lead(
            page=found,
            data=request.POST,
            address=client_address(request),
            country=country,
            referrer=request.POST.get("referrer", ""),
        )
    except lead_services.SpamSuspected:
        pass  # answered like a success so a bot learns nothing
    except lead_services.LeadRejected as exc:
        if exc.status == 410:
            return _headers(HttpResponse(GONE, status=410), MINIMAL_CSP)
        errors = dict(exc.errors)
        if not errors:
            errors["form"] = exc.message
        values = {
            key: request.POST.get(key, "")[:REDISPLAY_LIMIT] for key in request.POST if key not in ("ts", "website")
        }
        rendered = _render(found, form_errors=errors, form_values=values)
        html = _personalise(rendered.html, request, request.POST)
        response = HttpResponse(html, status=exc.status)
        response["Cache-Control"] = "no-store"
        return _headers(response, rendered.csp)
    form = next((c for c in found.published_version.components if c["type"] == "lead_form"), None)
    message = (form or {}).get("props", {}).get("success_message") or "Thank you!"
    rendered = rendering.render_page(
        page_id=str(found.pk),
        version_number=found.published_version.number,
        title=found.published_version.title,
        description="",
        items=[],
        brand=found.published_version.brand,
        images={},
        submit_url="",
        beacon=False,
    )
    html = rendered.html.replace(
        "<main>\n",
        f'<main>\n<section><div class="w ok" role="status" id="thanks"><h1>{escape(message)}</h1>'
        f'<p><a href="{escape(request.path.rsplit("submit/", 1)[0])}">Back to the page</a></p></div></section>\n',
        1,
    )
    response = HttpResponse(html)
    response["Cache-Control"] = "no-store"
    return _headers(response, rendered.csp)
