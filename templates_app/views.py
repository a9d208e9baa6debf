from django.contrib.auth.decorators import login_required

from craftplatform.views import unbuilt_area


@login_required
def index(request):
    return unbuilt_area(
        request,
        title="Template library",
        summary="Browsing, filtering and customising ad templates is not available yet. The library and its renderer are being built.",
    )
