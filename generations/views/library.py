"""Pages of the user's library: my generations, a generation's page and its downloads, rating,
favourites and delete, an image's page and file, and collections.

Every object is looked up through the owner-checking selectors: another user's generation, image
or collection answers 404 here as everywhere. Files are served only through `asset_file`, never by
their storage URL (local media is public).
"""

import mimetypes

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from storages.backends.s3 import S3Storage

from generations import selectors
from generations.forms_library import AddToCollectionForm, LibraryFilterForm, RatingForm
from generations.models import AssetKind, GenerationStatus
from generations.services import library as services
from templates_app.spec import FORMATS, ordered_slot_names

# Signed storage URLs handed to the browser live this long; the redirect to one is cached for less.
SIGNED_URL_SECONDS = 300
FILE_CACHE_SECONDS = 3600
# A user's SVG (vectorize results) is served from our origin: it must not run scripts there.
FILE_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox"


def safe_next_url(request, fallback: str) -> str:
    """Where a form sends the user back: its `next` field when it is on this site, else `fallback`."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return fallback


def _query_without_page(request) -> str:
    query = QueryDict(mutable=True)
    for key, values in request.GET.lists():
        if key != "page":
            kept = [value for value in values if value]
            if kept:
                query.setlist(key, kept)
    return query.urlencode()


def add_form(request, asset, collections, data=None) -> AddToCollectionForm:
    return AddToCollectionForm(
        data,
        collections=collections,
        initial={"asset_id": asset.pk},
        auto_id=f"add-{asset.pk.hex}-%s",
    )


# -- my generations --------------------------------------------------------------------------------


@login_required
@require_GET
def index(request):
    form = LibraryFilterForm(request.GET, templates=selectors.templates_used_by(user=request.user))
    filters = form.filters()
    page = selectors.library_page(user=request.user, filters=filters, page_number=request.GET.get("page") or 1)
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "generations": page.object_list,
        "query": _query_without_page(request),
    }
    return render(request, "generations/index.html", context)


# -- a generation ----------------------------------------------------------------------------------


def _format_label(key: str) -> str:
    return FORMATS[key].label if key in FORMATS else key


def _detail_context(request, generation, *, rating_form=None) -> dict:
    results = selectors.ordered_results(generation)
    collections = selectors.collection_choices(user=request.user) if results else []
    customization = generation.customization_data or {}
    slots = (generation.template.render_spec or {}).get("slots") or {}
    texts = customization.get("texts") or {}
    colours = customization.get("colors") or {}
    # The slots as the form lists them (stored JSON keeps no order); any the template lost go last.
    reading_order = ordered_slot_names(generation.template.render_spec or {})
    reading_order += sorted((set(texts) | set(colours)) - set(reading_order))

    def label(slot: str) -> str:
        """The slot's name as the template's form calls it ("Button" for "cta")."""
        return (slots.get(slot) or {}).get("label") or slot.replace("_", " ").capitalize()

    return {
        "generation": generation,
        "results": [
            {
                "asset": asset,
                "label": _format_label(asset.format_key),
                "add_form": add_form(request, asset, collections),
            }
            for asset in results
        ],
        "has_files": any(not asset.is_expired for asset in results),
        "all_expired": bool(results) and all(asset.is_expired for asset in results),
        "formats": [{"key": key, "label": _format_label(key)} for key in generation.formats or []],
        "texts": [(label(slot), texts[slot]) for slot in reading_order if slot in texts],
        "colors": [(label(slot), colours[slot]) for slot in reading_order if slot in colours],
        "inputs": [
            (label(slot), image)
            for slot, image in selectors.input_assets_for(user=request.user, generation=generation).items()
        ],
        "rating_form": rating_form
        or RatingForm(initial={"rating": generation.rating, "feedback": generation.feedback}, auto_id="rating-%s"),
        "variation_options": selectors.variation_options(generation),
        "is_completed": generation.status == GenerationStatus.COMPLETED,
        "retention_days": settings.GENERATION_FREE_RETENTION_DAYS,
    }


@login_required
@require_GET
def detail(request, generation_id):
    generation = selectors.generation_detail_for_user(user=request.user, generation_id=generation_id)
    return render(request, "generations/detail.html", _detail_context(request, generation))


@login_required
@require_GET
def download_zip(request, generation_id):
    generation = selectors.generation_detail_for_user(user=request.user, generation_id=generation_id)
    results = selectors.ordered_results(generation)
    files = [asset for asset in results if not asset.is_expired and asset.file]
    if not files:
        if results:
            return expired_response(request)
        raise Http404("This generation has no finished images yet.")
    try:
        archive = services.build_zip(assets=files)
    except services.MissingFile as exc:
        messages.error(request, f"{exc.message} Try again, or download the images one by one.")
        return redirect("generations:detail", generation.pk)
    response = FileResponse(
        archive, as_attachment=True, filename=services.zip_file_name(generation), content_type="application/zip"
    )
    patch_cache_control(response, private=True, no_store=True)
    return response


@login_required
@require_POST
def rate(request, generation_id):
    generation = selectors.get_generation_for_user(user=request.user, generation_id=generation_id)
    form = RatingForm(request.POST, auto_id="rating-%s")
    saved = False
    if form.is_valid():
        try:
            generation = services.rate_generation(
                user=request.user,
                generation_id=generation.pk,
                rating=form.cleaned_data["rating"],
                feedback=form.cleaned_data["feedback"],
            )
            saved = True
        except services.GenerationNotFound as exc:
            raise Http404(exc.message) from exc
        except services.LibraryError as exc:
            form.add_error(None, exc.message)
    if request.htmx:
        # htmx swaps 200 answers only: the form comes back with its errors beside the fields.
        return render(
            request, "generations/_rating_form.html", {"generation": generation, "rating_form": form, "saved": saved}
        )
    if saved:
        messages.success(request, "Thank you: your rating is saved.")
        return redirect("generations:detail", generation.pk)
    generation = selectors.generation_detail_for_user(user=request.user, generation_id=generation.pk)
    return render(
        request, "generations/detail.html", _detail_context(request, generation, rating_form=form), status=400
    )


def _wanted_favorite(request, current: bool) -> bool:
    """favorite=1 sets, favorite=0 clears (a repeated click changes nothing more); without it, flip."""
    wanted = request.POST.get("favorite")
    return wanted == "1" if wanted in ("0", "1") else not current


def _favorite_variant(request) -> str:
    return "button" if request.POST.get("variant") == "button" else "card"


@login_required
@require_POST
def favorite(request, generation_id):
    generation = selectors.get_generation_for_user(user=request.user, generation_id=generation_id)
    try:
        generation.is_favorite = services.set_generation_favorite(
            user=request.user, generation_id=generation.pk, favorite=_wanted_favorite(request, generation.is_favorite)
        )
    except services.GenerationNotFound as exc:
        raise Http404(exc.message) from exc
    next_url = safe_next_url(request, reverse("generations:detail", args=[generation.pk]))
    if request.htmx:
        context = {
            "object": generation,
            "action": reverse("generations:favorite", args=[generation.pk]),
            "label": generation.template.name,
            "next": next_url,
            "variant": _favorite_variant(request),
        }
        return render(request, "generations/_favorite_toggle.html", context)
    return redirect(next_url)


@login_required
@require_http_methods(["GET", "POST"])
def delete(request, generation_id):
    generation = selectors.get_generation_for_user(user=request.user, generation_id=generation_id)
    back = reverse("generations:detail", args=[generation.pk])
    if request.method == "GET":
        context = {
            "title": "Delete this generation?",
            "what": f"“{generation.template.name}” from {generation.created_at:%d %b %Y}",
            "consequence": "Its images in every format are removed from your library and from storage, and taken "
            "out of your collections. This cannot be undone.",
            "action": reverse("generations:delete", args=[generation.pk]),
            "cancel_url": back,
            "busy": generation.is_active,
        }
        return render(request, "generations/confirm_delete.html", context)
    try:
        services.delete_generation(user=request.user, generation_id=generation.pk)
    except services.GenerationNotFound as exc:
        raise Http404(exc.message) from exc
    except services.LibraryError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(request, "The generation and its images are deleted.")
    return redirect("generations:index")


# -- an image --------------------------------------------------------------------------------------


def expired_response(request):
    context = {"retention_days": settings.GENERATION_FREE_RETENTION_DAYS}
    response = render(request, "generations/asset_expired.html", context, status=410)
    patch_cache_control(response, private=True, no_store=True)
    return response


@login_required
@require_GET
def asset(request, asset_id):
    item = selectors.asset_detail_for_user(user=request.user, asset_id=asset_id)
    collections = selectors.collection_choices(user=request.user) if not item.is_expired else []
    context = {
        "asset": item,
        "format_label": _format_label(item.format_key) if item.format_key else "",
        "add_form": add_form(request, item, collections) if not item.is_expired else None,
        "derived": item.derived_list,
        "holding_items": item.holding_items,
        "can_delete": item.kind != AssetKind.RESULT,
        "retention_days": settings.GENERATION_FREE_RETENTION_DAYS,
    }
    return render(request, "generations/asset.html", context)


def _signs_urls(storage) -> bool:
    """Whether files are fetched from the storage itself (S3, private, signed URLs) rather than through us."""
    return isinstance(storage, S3Storage)


@login_required
@require_GET
def asset_file(request, asset_id):
    """The asset's file for its owner: ?thumb=1 the thumbnail (the file when it has none), ?download=1
    as an attachment with its readable name."""
    item = selectors.get_asset_for_user(user=request.user, asset_id=asset_id, include_expired=True)
    if item.is_expired:
        return expired_response(request)
    download = request.GET.get("download") == "1"
    name = item.file.name
    if request.GET.get("thumb") == "1" and item.thumbnail and not download:
        name = item.thumbnail.name
    if not name:
        raise Http404("This image has no file.")
    filename = item.display_name if name == item.file.name else name.rsplit("/", 1)[-1]
    content_type = (item.mime_type if name == item.file.name else "") or mimetypes.guess_type(name)[0]
    if _signs_urls(default_storage):
        parameters = {
            "ResponseContentDisposition": content_disposition_header(download, filename),
            "ResponseCacheControl": f"private, max-age={SIGNED_URL_SECONDS}",
        }
        if content_type:
            parameters["ResponseContentType"] = content_type
        response = HttpResponseRedirect(default_storage.url(name, expire=SIGNED_URL_SECONDS, parameters=parameters))
        patch_cache_control(response, private=True, max_age=SIGNED_URL_SECONDS // 2)
        return response
    try:
        handle = default_storage.open(name, "rb")
    except FileNotFoundError as exc:
        raise Http404("The file is missing from storage.") from exc
    response = FileResponse(handle, as_attachment=download, filename=filename, content_type=content_type)
    patch_cache_control(response, private=True, max_age=FILE_CACHE_SECONDS)
    patch_vary_headers(response, ["Cookie"])
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    return response


@login_required
@require_POST
def asset_favorite(request, asset_id):
    item = selectors.get_asset_for_user(user=request.user, asset_id=asset_id, include_expired=True)
    try:
        item.is_favorite = services.set_asset_favorite(
            user=request.user, asset_id=item.pk, favorite=_wanted_favorite(request, item.is_favorite)
        )
    except services.AssetNotFound as exc:
        raise Http404(exc.message) from exc
    next_url = safe_next_url(request, reverse("generations:asset", args=[item.pk]))
    if request.htmx:
        context = {
            "object": item,
            "action": reverse("generations:asset_favorite", args=[item.pk]),
            "label": item.display_name,
            "next": next_url,
            "variant": _favorite_variant(request),
        }
        return render(request, "generations/_favorite_toggle.html", context)
    return redirect(next_url)


@login_required
@require_http_methods(["GET", "POST"])
def asset_delete(request, asset_id):
    item = selectors.get_asset_for_user(user=request.user, asset_id=asset_id, include_expired=True)
    back = reverse("generations:asset", args=[item.pk])
    if request.method == "GET":
        context = {
            "title": "Delete this image?",
            "what": f"“{item.display_name}”",
            "consequence": "It is removed from your library, from storage and from your collections. "
            "Images made from it stay. This cannot be undone.",
            "action": reverse("generations:asset_delete", args=[item.pk]),
            "cancel_url": back,
            "refusal": "This ad belongs to a generation: delete the generation to remove its images."
            if item.kind == AssetKind.RESULT
            else "",
        }
        return render(request, "generations/confirm_delete.html", context)
    try:
        services.delete_asset(user=request.user, asset_id=item.pk)
    except services.AssetNotFound as exc:
        raise Http404(exc.message) from exc
    except services.LibraryError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(request, "The image is deleted.")
    return redirect(safe_next_url(request, reverse("generations:index")))
