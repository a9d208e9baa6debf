"""Pages: my images (uploads), asking for an image operation, and an operation's live status."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from craftplatform.errors import DomainError
from generations import selectors
from generations.models import AssetKind, ImageOperation, OperationStatus, OperationType
from generations.services import operations as operation_services

IMAGES_PAGE_SIZE = 24
RECENT_OPERATIONS = 5


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """One or more files from one input (Django's documented pattern for `multiple`)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        items = [item for item in (data if isinstance(data, list | tuple) else [data]) if item]
        if not items:
            raise forms.ValidationError("Choose at least one image to upload.", code="required")
        return [super(MultipleImageField, self).clean(item, initial) for item in items]


class UploadImagesForm(forms.Form):
    images = MultipleImageField(
        label="Images",
        help_text=(
            f"PNG, JPEG or WebP, up to {operation_services.MAX_FILES_PER_UPLOAD} at a time. "
            "Photos are turned upright and their metadata (such as location) is removed."
        ),
    )


class RequestOperationForm(forms.Form):
    operation = forms.ChoiceField(choices=OperationType.choices)
    factor = forms.TypedChoiceField(choices=[(2, "2x"), (4, "4x")], coerce=int, required=False, empty_value=None)
    request_key = forms.CharField(max_length=100, required=False)
    next = forms.CharField(max_length=500, required=False)


def _uploads(user):
    return selectors.assets_for_user(user=user).filter(kind=AssetKind.UPLOAD).order_by("-created_at", "-pk")


def _recent_operations(user) -> list[ImageOperation]:
    return list(
        ImageOperation.objects.filter(user=user)
        .select_related("source", "result")
        .order_by("-created_at", "-pk")[:RECENT_OPERATIONS]
    )


@login_required
@require_http_methods(["GET", "POST"])
def images(request):
    """My uploaded images, newest first, with a form to upload more."""
    form = UploadImagesForm()
    if request.method == "POST":
        form = UploadImagesForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                stored = operation_services.upload_images(user=request.user, uploads=form.cleaned_data["images"])
            except operation_services.UploadRejected as exc:
                for name, reason in exc.problems:
                    form.add_error("images", f"{name}: {reason}" if name else reason)
            else:
                count = len({asset.pk for asset in stored})
                message = f"{count} image{'s' if count != 1 else ''} uploaded."
                if count < len(stored):
                    message += " The same image was kept once in your library."
                messages.success(request, message)
                return redirect("generations:images")
    page = Paginator(_uploads(request.user), IMAGES_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "recent_operations": _recent_operations(request.user)}
    return render(request, "generations/images.html", context)


def _back(request, asset_id, next_url: str) -> str:
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return reverse("generations:asset", args=[asset_id])


@login_required
@require_POST
def request_operation(request, asset_id):
    """Ask for an operation on one of my images; on to its page, or back with the reason it was refused."""
    form = RequestOperationForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose an operation: upscale 2x or 4x, remove background or vectorize.")
        return redirect(_back(request, asset_id, request.POST.get("next", "")))
    data = form.cleaned_data
    try:
        operation = operation_services.request_image_operation(
            user=request.user,
            asset_id=asset_id,
            operation=data["operation"],
            factor=data["factor"],
            request_key=data["request_key"] or None,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(_back(request, asset_id, data["next"]))
    return redirect("generations:operation", operation.pk)


@login_required
@require_GET
def operation(request, operation_id):
    """An operation's status, live while it runs (htmx polls the status part); its result when done."""
    image_operation = selectors.get_operation_for_user(user=request.user, operation_id=operation_id)
    context = {
        "operation": image_operation,
        "active": image_operation.status in (OperationStatus.QUEUED, OperationStatus.RUNNING),
    }
    template = "generations/_operation_status.html" if request.htmx else "generations/operation.html"
    return render(request, template, context)
