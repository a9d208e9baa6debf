"""Middleware of the platform itself."""

from django.urls import Resolver404, resolve

from craftplatform import throttling


class RateLimitHeadersMiddleware:
    """Puts the API throttle's RateLimit-* headers (and Retry-After on 429) on the answer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        result = getattr(request, throttling.RESULT_ATTRIBUTE, None)
        if result is not None:
            throttling.add_headers(response, result)
        return response


class PublicEndpointsMiddleware:
    """The public landing pages (/p/…) and the page-event beacon (/e/) skip the rest of the stack.

    They are answered for anonymous visitors from a cache or straight into a Redis stream, and use
    no session, user, language, CSRF token, messages, htmx, time zone, API contract or the app's CSP
    (each answer carries its own strict CSP): running that middleware would only cost time on the
    paths built for ad bursts. Placed right after SecurityMiddleware, whose headers they keep. A
    path that does not resolve to one of these views goes through the whole stack as before.
    """

    NAMESPACES = frozenset({"campaigns_public", "analytics_ingest"})
    PREFIXES = ("/p/", "/e/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith(self.PREFIXES):
            try:
                match = resolve(request.path_info)
            except Resolver404:
                match = None
            if match is not None and match.namespace in self.NAMESPACES:
                request.get_host()  # ALLOWED_HOSTS, as CommonMiddleware would check it (400 otherwise)
                return match.func(request, *match.args, **match.kwargs)
        return self.get_response(request)
