from django.contrib.auth.decorators import login_required

from craftplatform.views import unbuilt_area


@login_required
def index(request):
    return unbuilt_area(
        request,
        title="Credits and billing",
        summary="Credit balances, packs and plans are not available yet. Nothing is charged until they are.",
    )
