import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts import brand_fonts, emails, selectors, services
from accounts.constants import NOTIFICATION_LABELS
from accounts.forms import (
    ApiKeyForm,
    BrandKitForm,
    BusinessProfileForm,
    DeleteAccountForm,
    PreferencesForm,
    ProfileForm,
)
from craftplatform import uploads


def _uploads_refused(request) -> bool:
    """The upload rate limit (issue 11) for the avatar and logo forms: a refusal is said and nothing stored."""
    if request.method != "POST" or not request.FILES:
        return False
    try:
        uploads.check_upload_rate(user=request.user, files=len(request.FILES))
    except uploads.UploadRateLimited as exc:
        messages.error(request, exc.message)
        return True
    return False


@login_required
def dashboard(request):
    return render(request, "accounts/dashboard.html", selectors.dashboard_summary(user=request.user))


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    user = request.user
    if _uploads_refused(request):
        return redirect("accounts:profile")
    form = ProfileForm(
        request.POST or None,
        request.FILES or None,
        initial={"first_name": user.first_name, "last_name": user.last_name},
    )
    if request.method == "POST" and form.is_valid():
        services.update_profile(
            user=user,
            first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"],
            avatar=form.cleaned_data["avatar"],
            remove_avatar=form.cleaned_data["remove_avatar"],
        )
        messages.success(request, "Your profile was saved.")
        return redirect("accounts:profile")
    return render(request, "accounts/settings_profile.html", {"form": form, "section": "profile"}, status=_status(form))


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    prefs = selectors.get_preferences(user=request.user)
    form = PreferencesForm(request.POST or None, initial=PreferencesForm.initial_for(prefs))
    if request.method == "POST" and form.is_valid():
        services.update_preferences(
            user=request.user,
            timezone_name=form.cleaned_data["timezone"],
            theme=form.cleaned_data["theme"],
            content_filter_level=form.cleaned_data["content_filter_level"],
            notifications=form.notifications(),
            request=request,
        )
        messages.success(request, "Your preferences were saved.")
        return redirect("accounts:preferences")
    return render(
        request, "accounts/settings_preferences.html", {"form": form, "section": "preferences"}, status=_status(form)
    )


@login_required
@require_http_methods(["GET", "POST"])
def brand_kit(request):
    if _uploads_refused(request):
        return redirect("accounts:brand")
    brand = selectors.get_brand_profile(user=request.user)
    form = BrandKitForm(
        request.POST or None,
        request.FILES or None,
        initial=BrandKitForm.initial_for(brand),
        font_choices=brand_fonts.font_choice_groups_for(request.user),
    )
    if request.method == "POST" and form.is_valid():
        services.update_brand_profile(
            user=request.user,
            values=form.service_values(),
            logo=form.cleaned_data["logo"],
            remove_logo=form.cleaned_data["remove_logo"],
        )
        messages.success(request, "Your brand kit was saved.")
        return redirect("accounts:brand")
    return render(
        request,
        "accounts/settings_brand.html",
        {"form": form, "brand": brand, "section": "brand"},
        status=_status(form),
    )


@login_required
@require_http_methods(["GET", "POST"])
def business_profile(request):
    business = selectors.get_business_profile(user=request.user)
    form = BusinessProfileForm(request.POST or None, instance=business)
    if request.method == "POST" and form.is_valid():
        services.update_business_profile(user=request.user, values=form.cleaned_data)
        messages.success(request, "Your business profile was saved.")
        return redirect("accounts:business")
    return render(
        request, "accounts/settings_business.html", {"form": form, "section": "business"}, status=_status(form)
    )


@login_required
@require_http_methods(["GET", "POST"])
def api_keys(request):
    form = ApiKeyForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            _, new_key = services.create_api_key(
                user=request.user,
                name=form.cleaned_data["name"],
                access=form.cleaned_data["access"],
                groups=form.cleaned_data["groups"],
                request=request,
            )
        except services.AccountError as exc:
            form.add_error("name", exc.message)
        else:
            form = ApiKeyForm()
    context = {
        "form": form,
        "new_key": new_key,
        "keys": selectors.list_api_keys(user=request.user),
        "section": "api_keys",
    }
    return render(request, "accounts/settings_api_keys.html", context, status=_status(form))


@login_required
@require_POST
def revoke_api_key(request, key_id):
    key = selectors.get_api_key_for_user(user=request.user, key_id=key_id)
    services.revoke_api_key(key=key, actor=request.user, request=request)
    messages.success(request, f"The key “{key.name}” was revoked. Requests made with it are refused from now on.")
    return redirect("accounts:api_keys")


@login_required
def your_data(request):
    return render(request, "accounts/settings_data.html", {"section": "data"})


@login_required
@require_POST
def export_data(request):
    export = services.record_data_export(user=request.user, request=request)
    body = json.dumps(export, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
    filename = f"craftads-export-{timezone.now():%Y-%m-%d}.json"
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    add_never_cache_headers(response)  # Cache-Control: no-store: a shared cache must never keep it
    return response


@login_required
@require_http_methods(["GET", "POST"])
def delete_account(request):
    form = DeleteAccountForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        services.delete_account(user=request.user, request=request)
        logout(request)
        messages.success(request, "Your account and everything in it has been deleted.")
        return redirect("home")
    return render(request, "accounts/delete_account.html", {"form": form, "section": "data"}, status=_status(form))


def _status(form) -> int:
    return 400 if form.is_bound and form.errors else 200


@csrf_exempt  # RFC 8058 one-click: mail providers POST here without a session; the signed token is the proof.
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """One email preference off, from the link in the email (GET asks, POST does it: one click in mail apps)."""
    try:
        _, kind = emails.read_unsubscribe_token(token)
    except emails.BadUnsubscribeToken as error:
        return render(request, "accounts/unsubscribe.html", {"error": str(error)}, status=400)
    context = {"label": NOTIFICATION_LABELS[kind], "token": token}
    if request.method == "POST":
        emails.unsubscribe(token=token)
        context["done"] = True
    return render(request, "accounts/unsubscribe.html", context)
