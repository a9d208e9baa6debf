"""Production: PostgreSQL, Redis, S3, SMTP, behind a TLS-terminating proxy.

Start-up is refused when a setting is insecure, with a message naming the
variable to set.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DEFAULT_SECRET_KEY, STORAGES, env


def _refuse(variable: str, why: str) -> None:
    raise ImproperlyConfigured(f"Refusing to start: {why} Set {variable} in the environment.")


DEBUG = env.bool("DJANGO_DEBUG", default=False)
if DEBUG:
    _refuse("DJANGO_DEBUG=false", "debug mode is on in production (DJANGO_DEBUG).")

SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY or SECRET_KEY == DEFAULT_SECRET_KEY or SECRET_KEY.startswith("django-insecure"):
    _refuse("DJANGO_SECRET_KEY", "the secret key is missing or is the published development default.")
if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    _refuse("DJANGO_SECRET_KEY", "the secret key is too short (50 characters or more, random).")

FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
if not FIELD_ENCRYPTION_KEYS:
    _refuse(
        "FIELD_ENCRYPTION_KEYS",
        "no key encrypts stored secrets (Meta tokens, site passwords); generate one with "
        "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`.",
    )

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
if not ALLOWED_HOSTS:
    _refuse("DJANGO_ALLOWED_HOSTS", "no allowed hosts are set.")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[f"https://{h}" for h in ALLOWED_HOSTS])

# Transport security: TLS ends at the proxy, which sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"

# Uploads live in S3, unless the operator's proxy serves MEDIA_ROOT at /media/.
MEDIA_SERVED_BY_PROXY = env.bool("MEDIA_SERVED_BY_PROXY", default=False)
SERVE_MEDIA = False
if STORAGES["default"]["BACKEND"].endswith("FileSystemStorage") and not MEDIA_SERVED_BY_PROXY:
    _refuse(
        "AWS_STORAGE_BUCKET_NAME",
        "uploads would be stored on local disk and never served. Use S3 (or set MEDIA_SERVED_BY_PROXY=true "
        "when your proxy sends MEDIA_ROOT files on X-Accel-Redirect: README, Private files).",
    )

# Compressed, hashed static files served by whitenoise.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

LOG_FORMAT = env("LOG_FORMAT", default="json")
LOGGING["handlers"]["default"]["formatter"] = "json" if LOG_FORMAT == "json" else "console"

DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# Landing pages (issue 15): the SSRF guard's test switch must never be on in production.
if env.bool("SAFE_HTTP_ALLOW_LOOPBACK_FOR_TESTS", default=False):
    _refuse("SAFE_HTTP_ALLOW_LOOPBACK_FOR_TESTS=false", "server-side fetches may reach loopback addresses.")
