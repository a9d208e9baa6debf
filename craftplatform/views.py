from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from craftplatform.health import run_checks


@require_GET
def home(request):
    return render(request, "home.html")


@never_cache
@require_GET
def healthz(request):
    results = run_checks()
    healthy = all(result["ok"] for result in results.values())
    failed = [name for name, result in results.items() if not result["ok"]]
    body = {"status": "ok" if healthy else "unavailable", "checks": results}
    if failed:
        body["failed"] = failed
    return JsonResponse(body, status=200 if healthy else 503)


def unbuilt_area(request, *, title: str, summary: str):
    """An area of the product that is not available yet, said plainly."""
    return render(request, "unbuilt_area.html", {"title": title, "summary": summary})


@csrf_exempt
def api_not_found(request, *args, **kwargs):
    """An API path that names nothing (or an id that is not an id): a JSON 404 in the API's error shape."""
    return JsonResponse({"detail": "No such API path or object.", "code": "not_found"}, status=404)
