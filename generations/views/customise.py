"""Pages: customise a template (form, live preview, price), a generation's live progress and its
JSON status, and "more like this" variations."""

import base64
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from PIL import Image

from accounts.models import BrandProfile
from craftplatform import ratelimit
from craftplatform.errors import DomainError
from craftplatform.images import ImageRejected, clean_uploaded_image
from credits.errors import CreditError
from generations import repeat_guard, selectors
from generations.errors import InvalidGenerationRequest, RequestKeyConflict
from generations.forms import FORMAT_USES, CustomiseForm, VariationForm
from generations.models import Asset, GenerationStatus
from generations.services import generation as generation_services
from generations.services import providers as provider_services
from templates_app import selectors as template_selectors
from templates_app.errors import TemplateSpecError, TextDoesNotFit
from templates_app.renderer import BrandStyle, RenderInputs, encode_image, render_ad
from templates_app.services import fonts as template_font_services
from templates_app.spec import FORMAT_KEYS

PREVIEW_SCALE = 0.4
PREVIEWS_PER_MINUTE = 120


def _brand(user) -> BrandProfile | None:
    return BrandProfile.objects.filter(user=user).first()


def _brand_colors(brand: BrandProfile | None) -> dict[str, str]:
    return dict(brand.palette_items) if brand else dict(BrandStyle.default().colors)


def _form(request, template, spec, data=None, files=None) -> CustomiseForm:
    brand = _brand(request.user)
    return CustomiseForm(
        data,
        files,
        template=template,
        spec=spec,
        user=request.user,
        brand_colors=_brand_colors(brand),
        features=provider_services.feature_status(),
    )


def _price_for(request, form: CustomiseForm) -> generation_services.GenerationPrice:
    data = form.cleaned_data if form.is_bound and hasattr(form, "cleaned_data") else {}
    formats = data.get("formats") if data else form.fields["formats"].initial
    return generation_services.price_generation(
        user=request.user,
        format_count=max(1, len(formats or [])),
        count=data.get("count") or 1 if data else 1,
        ai_copy=bool(data.get("ai_copy")) if data else False,
        ai_background=bool(data.get("ai_background")) if data else False,
    )


def _spec(template) -> dict:
    return template_selectors.get_spec_for_generation(template_id=template.pk, version=template.spec_version)


def _page(request, template, spec, form, *, price, credit_error: str = "", repeat=None, status: int = 200):
    response = render(
        request,
        "generations/customise.html",
        {
            "template": template,
            "form": form,
            "price": price,
            "credit_error": credit_error,
            "features": provider_services.feature_status(),
            "format_uses": FORMAT_USES,
            "brand": _brand(request.user),
            "repeat": repeat,
            "recent": None if repeat else repeat_guard.recent_from_template(user=request.user, template_id=template.pk),
        },
        status=status,
    )
    # Back after Generate fetches the page again (no stale copy from the back-forward cache), so it
    # can say what was just made from it.
    response["Cache-Control"] = "no-store"
    return response


@login_required
def customise(request, slug: str):
    template = template_selectors.get_template_for_user(user=request.user, slug=slug)
    spec = _spec(template)
    if request.method != "POST":
        form = _form(request, template, spec)
        return _page(request, template, spec, form, price=_price_for(request, form))
    form = _form(request, template, spec, request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, template, spec, form, price=_price_for(request, form), status=400)
    generation_request = form.to_request()
    if not request.POST.get("confirm_repeat"):
        repeat = repeat_guard.same_as_recent(user=request.user, request=generation_request, spec=spec)
        if repeat is not None:
            # Back, then Generate again: ask before making (and charging for) the same ads twice.
            return _page(request, template, spec, form, price=_price_for(request, form), repeat=repeat, status=409)
    try:
        created = generation_services.request_generation(user=request.user, request=generation_request)
    except InvalidGenerationRequest as exc:
        for name, message in exc.problems.items():
            form.add_error(name if name in form.fields else None, message)
        return _page(request, template, spec, form, price=_price_for(request, form), status=400)
    except CreditError as exc:
        return _page(
            request, template, spec, form, price=_price_for(request, form), credit_error=exc.message, status=402
        )
    except RequestKeyConflict as exc:
        form.add_error(None, exc.message)
        return _page(request, template, spec, form, price=_price_for(request, form), status=409)
    first = created[0]
    if len(created) > 1:
        messages.success(request, f"{len(created)} versions are on their way. This page shows the first.")
    return redirect("generations:detail", generation_id=first.pk)


def _rate_limited(user) -> bool:
    return not ratelimit.hit("generations:preview", user.pk, limit=PREVIEWS_PER_MINUTE, window=60).allowed


def _preview_images(request, form: CustomiseForm, spec: dict) -> dict[str, Image.Image]:
    """The images the preview uses: uploads read in memory (never stored), chosen library images."""
    images = {}
    for upload_field, asset_field in form.image_fields:
        slot = upload_field.removeprefix("image_")
        upload = request.FILES.get(upload_field)
        if upload:
            clean = clean_uploaded_image(upload)
            images[slot] = Image.open(clean.content)
        elif form.cleaned_data.get(asset_field):
            asset: Asset = form.cleaned_data[asset_field]
            with asset.file.open("rb") as handle:
                images[slot] = Image.open(io.BytesIO(handle.read()))
    return images


@login_required
@require_POST
def preview(request, slug: str):
    """The chosen format rendered small from what is in the form now (htmx, debounced in the page).
    Free and stored nowhere; the price beside it is refreshed in the same answer."""
    template = template_selectors.get_template_for_user(user=request.user, slug=slug)
    spec = _spec(template)
    form = _form(request, template, spec, request.POST, request.FILES)
    context = {"template": template, "price": None, "error": "", "image": "", "oob": True}
    form_ok = form.is_valid()
    context["price"] = _price_for(request, form)
    format_key = request.POST.get("preview_format") or "1:1"
    if format_key not in FORMAT_KEYS:
        format_key = "1:1"
    context["format_key"] = format_key
    if _rate_limited(request.user):
        context["error"] = "The preview is paused for a moment: too many changes in a minute."
    elif not form_ok:
        context["error"] = "Fix the highlighted fields to see the preview."
    else:
        data = form.to_request()
        try:
            inputs = RenderInputs(
                # Blank texts stay blank (left out of the ad), exactly as the job renders them.
                texts=dict(data.texts),
                images=_preview_images(request, form, spec),
                colors={key: value for key, value in data.colors.items() if value},
                brand=generation_services.brand_style_for(generation_services.brand_snapshot(user=request.user)),
                extra_fonts=template_font_services.extra_fonts_for_user(user=request.user),
                sample_art=False,  # the preview shows exactly what will be made
            )
            image = render_ad(spec, format_key, inputs, scale=PREVIEW_SCALE).image
            context["image"] = (
                "data:image/webp;base64," + base64.b64encode(encode_image(image, "webp", quality=80)).decode()
            )
        except (TextDoesNotFit, TemplateSpecError) as exc:
            context["error"] = exc.message
        except ImageRejected as exc:
            context["error"] = str(exc)
    return render(request, "generations/_preview.html", context)


@login_required
@require_GET
def status(request, generation_id):
    generation = selectors.get_generation_for_user(user=request.user, generation_id=generation_id)
    response = JsonResponse(selectors.status_payload(generation))
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def progress(request, generation_id):
    """The progress panel alone, for htmx polling. When the job completes, the whole page reloads
    to show the results."""
    generation = selectors.get_generation_for_user(user=request.user, generation_id=generation_id)
    response = render(request, "generations/_progress.html", {"generation": generation})
    if generation.status == GenerationStatus.COMPLETED and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def variation(request, generation_id):
    generation = selectors.get_generation_for_user(user=request.user, generation_id=generation_id)
    form = VariationForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose what to vary: a new seed, a palette variant or a copy variant.")
        return redirect("generations:detail", generation_id=generation.pk)
    try:
        child = generation_services.request_variation(
            user=request.user,
            generation_id=generation.pk,
            kind=form.cleaned_data["kind"],
            request_key=form.cleaned_data.get("request_key") or None,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("generations:detail", generation_id=generation.pk)
    return redirect("generations:detail", generation_id=child.pk)
