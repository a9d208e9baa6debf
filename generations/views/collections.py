"""Pages: collections (create, rename, delete, add, remove, move). Every object is looked up through
the owner-checking selectors: another user's collection answers 404."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from generations import selectors
from generations.forms_library import CollectionForm
from generations.services import library as services
from generations.views.library import add_form, expired_response, safe_next_url


@login_required
@require_http_methods(["GET", "POST"])
def collections(request):
    form = CollectionForm(request.POST if request.method == "POST" else None, auto_id="collection-%s")
    if request.method == "POST" and form.is_valid():
        try:
            created = services.create_collection(user=request.user, **form.cleaned_data)
        except services.CollectionNameTaken as exc:
            form.add_error("name", exc.message)
        except services.LibraryError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Collection “{created.name}” created.")
            return redirect("generations:collection", created.pk)
    context = {"collections": selectors.collections_for_user(user=request.user), "form": form}
    return render(request, "generations/collections.html", context, status=400 if form.errors else 200)


def _collection_page(request, collection_id, *, rename_form=None, status=200):
    collection = selectors.collection_detail_for_user(user=request.user, collection_id=collection_id)
    context = {
        "collection": collection,
        "items": collection.ordered_items,
        "rename_form": rename_form
        or CollectionForm(
            initial={"name": collection.name, "description": collection.description}, auto_id="rename-%s"
        ),
    }
    return render(request, "generations/collection.html", context, status=status)


@login_required
@require_GET
def collection(request, collection_id):
    return _collection_page(request, collection_id)


@login_required
@require_GET
def collection_download(request, collection_id):
    """Every image of the collection still on file, in the collection's order, as one zip."""
    collection = selectors.collection_detail_for_user(user=request.user, collection_id=collection_id)
    assets = [item.asset for item in collection.ordered_items]
    files = [asset for asset in assets if not asset.is_expired and asset.file]
    if not files:
        if assets:
            return expired_response(request)
        raise Http404("This collection has no images yet.")
    try:
        archive = services.build_zip(assets=files)
    except services.MissingFile as exc:
        messages.error(request, f"{exc.message} Try again, or download the images one by one.")
        return redirect("generations:collection", collection.pk)
    response = FileResponse(
        archive,
        as_attachment=True,
        filename=services.collection_zip_file_name(collection),
        content_type="application/zip",
    )
    patch_cache_control(response, private=True, no_store=True)
    return response


@login_required
@require_POST
def collection_rename(request, collection_id):
    found = selectors.get_collection_for_user(user=request.user, collection_id=collection_id)
    form = CollectionForm(request.POST, auto_id="rename-%s")
    if form.is_valid():
        try:
            services.rename_collection(user=request.user, collection_id=found.pk, **form.cleaned_data)
        except services.CollectionNotFound as exc:
            raise Http404(exc.message) from exc
        except services.CollectionNameTaken as exc:
            form.add_error("name", exc.message)
        except services.LibraryError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Collection saved.")
            return redirect("generations:collection", found.pk)
    return _collection_page(request, found.pk, rename_form=form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def collection_delete(request, collection_id):
    found = selectors.get_collection_for_user(user=request.user, collection_id=collection_id)
    if request.method == "GET":
        context = {
            "title": "Delete this collection?",
            "what": f"“{found.name}”",
            "consequence": "Only the collection goes: the images in it stay in your library.",
            "action": reverse("generations:collection_delete", args=[found.pk]),
            "cancel_url": reverse("generations:collection", args=[found.pk]),
        }
        return render(request, "generations/confirm_delete.html", context)
    try:
        services.delete_collection(user=request.user, collection_id=found.pk)
    except services.CollectionNotFound as exc:
        raise Http404(exc.message) from exc
    messages.success(request, f"Collection “{found.name}” deleted; its images are still in your library.")
    return redirect("generations:collections")


def _uuid_or_404(request, name: str):
    try:
        return forms.UUIDField().clean(request.POST.get(name))
    except ValidationError as exc:  # a missing or malformed id names nothing of this user's
        raise Http404("Not found.") from exc


def _asset_id(request):
    return _uuid_or_404(request, "asset_id")


@login_required
@require_POST
def collection_remove(request, collection_id):
    found = selectors.get_collection_for_user(user=request.user, collection_id=collection_id)
    try:
        removed = services.remove_from_collection(
            user=request.user, collection_id=found.pk, asset_id=_asset_id(request)
        )
    except services.CollectionNotFound as exc:
        raise Http404(exc.message) from exc
    if removed:
        messages.success(request, "Removed from the collection; the image is still in your library.")
    return redirect(safe_next_url(request, reverse("generations:collection", args=[found.pk])))


MOVES = {"up": -1, "down": 1, "first": -(10**6), "last": 10**6}


@login_required
@require_POST
def collection_move(request, collection_id):
    found = selectors.get_collection_for_user(user=request.user, collection_id=collection_id)
    offset = MOVES.get(request.POST.get("direction", ""))
    if offset is None:
        messages.error(request, "Choose to move the image up or down.")
        return redirect("generations:collection", found.pk)
    asset_id = _asset_id(request)
    try:
        services.move_collection_item(user=request.user, collection_id=found.pk, asset_id=asset_id, offset=offset)
    except services.CollectionNotFound as exc:
        raise Http404(exc.message) from exc
    except services.AssetNotFound as exc:
        raise Http404(exc.message) from exc
    # Back to the moved image, so keyboard users keep their place.
    return redirect(reverse("generations:collection", args=[found.pk]) + f"#item-{asset_id}")


@login_required
@require_POST
def collection_add(request):
    """Add an image to a chosen collection, or to a new one named in the form."""
    collections_list = selectors.collection_choices(user=request.user)
    item = selectors.get_asset_for_user(user=request.user, asset_id=_asset_id(request))
    if request.POST.get("collection_id"):
        # Someone else's collection answers 404 like everywhere, not a form error.
        selectors.get_collection_for_user(user=request.user, collection_id=_uuid_or_404(request, "collection_id"))
    form = add_form(request, item, collections_list, data=request.POST)
    added_to = None
    if form.is_valid():
        new_name = (form.cleaned_data["new_name"] or "").strip()
        try:
            if new_name:
                target = services.create_collection(user=request.user, name=new_name)
            else:
                target = selectors.get_collection_for_user(
                    user=request.user, collection_id=form.cleaned_data["collection_id"]
                )
            services.add_to_collection(user=request.user, collection_id=target.pk, asset_id=item.pk)
        except services.CollectionNameTaken as exc:
            form.add_error("new_name", exc.message)
        except services.InvalidCollectionName as exc:
            form.add_error("new_name", exc.message)
        except services.LibraryError as exc:
            form.add_error(None, exc.message)
        else:
            added_to = target
    next_url = safe_next_url(request, reverse("generations:asset", args=[item.pk]))
    if request.htmx:
        if added_to is not None:
            form = add_form(request, item, selectors.collection_choices(user=request.user))
        context = {"asset": item, "form": form, "added_to": added_to, "next": next_url}
        return render(request, "generations/_add_to_collection.html", context)
    if added_to is not None:
        messages.success(request, f"Added to “{added_to.name}”.")
        return redirect(next_url)
    context = {"asset": item, "form": form, "next": next_url}
    return render(request, "generations/collection_add.html", context, status=400)
