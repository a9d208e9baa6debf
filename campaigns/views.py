from django.contrib.auth.decorators import login_required

from craftplatform.views import unbuilt_area


@login_required
def index(request):
    return unbuilt_area(
        request,
        title="Campaigns",
        summary="Connecting a Meta ad account and publishing campaigns is not available yet.",
    )
