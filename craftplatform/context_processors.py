from django.conf import settings


def site(request):
    session = getattr(request, "session", None)
    return {
        "PRODUCT_NAME": settings.PRODUCT_NAME,
        "GOOGLE_LOGIN_ENABLED": settings.GOOGLE_LOGIN_ENABLED,
        "SUPPORT_EMAIL": settings.SUPPORT_EMAIL,
        "theme": session.get("theme", "auto") if session is not None else "auto",
    }
