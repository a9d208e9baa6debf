from django.contrib.auth.decorators import login_required

from craftplatform.views import unbuilt_area


@login_required
def index(request):
    return unbuilt_area(
        request,
        title="My creatives",
        summary="Generating ads from templates, image operations and collections are not available yet.",
    )
