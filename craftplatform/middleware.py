"""Middleware of the platform itself."""

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
