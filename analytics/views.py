from django.contrib.auth.decorators import login_required

from craftplatform.views import unbuilt_area


@login_required
def index(request):
    return unbuilt_area(
        request,
        title="Analytics",
        summary="Performance reports appear here once campaigns are connected and synced; this area is not available yet.",
    )
