"""Settings shared by every environment.

Everything is read from the environment (a `.env` file in the project root is
read for convenience). Every variable has a default that works on a fresh
machine with no outside services: SQLite, local-memory cache, local media
folder and a filesystem Celery broker. `production.py` removes the insecure
defaults.
"""

import base64
import hashlib
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(str(BASE_DIR / ".env"), overwrite=False)

# A well-known development key: production.py refuses to start with it.
DEFAULT_SECRET_KEY = "django-insecure-craftads-embedded-mode-only-do-not-use-in-production"  # noqa: S105

SECRET_KEY = env("DJANGO_SECRET_KEY", default=DEFAULT_SECRET_KEY)
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# Secrets at rest (craftplatform/encryption.py): Fernet keys, newest first; old keys still decrypt.
# The embedded mode derives one from SECRET_KEY; production refuses to start without its own.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[]) or [
    base64.urlsafe_b64encode(hashlib.sha256(f"craftads-field-encryption:{SECRET_KEY}".encode()).digest()).decode()
]

# The client's address (craftplatform/client_address.py): how many reverse proxies in front of the
# web process append to X-Forwarded-For. 0 (the default) trusts no header: REMOTE_ADDR is the client.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# ---------------------------------------------------------------------------
# Applications
# ---------------------------------------------------------------------------
DJANGO_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "django.forms",
]
THIRD_PARTY_APPS = [
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # UX area: Swagger UI assets in static files
    "django_htmx",
    "django_celery_beat",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
]
# Ordered as DESIGN.md section 3: an app imports only apps above it.
LOCAL_APPS = [
    "craftplatform",
    "accounts",
    "credits",
    "templates_app",
    "generations",
    "campaigns",
    "analytics",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.UserTimezoneMiddleware",
    # API contract (issue 17): /api/v1/ query strings and JSON bodies checked against the schema.
    "craftplatform.api_contract.ApiContractMiddleware",
]

ROOT_URLCONF = "craftplatform.urls"
WSGI_APPLICATION = "craftplatform.wsgi.application"
SITE_ID = 1

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "craftplatform.context_processors.site",
                "credits.context_processors.credits",
            ],
        },
    },
]
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# ---------------------------------------------------------------------------
# Database, cache, sessions
# ---------------------------------------------------------------------------
VAR_DIR.mkdir(exist_ok=True)
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'craftads.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process and the embedded worker read while one writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 2,
                "SOCKET_TIMEOUT": 2,
            },
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="craftads"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "craftads"}}

# Sessions live in the database and are cached: a cache flush signs nobody out.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 24 * 14)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# ---------------------------------------------------------------------------
# Authentication (django-allauth)
# ---------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "accounts:dashboard"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"

ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
# Sign-up says plainly when an email is registered already. Set true to answer as
# if the sign-up worked and tell the owner by email instead (hides who has an account).
ACCOUNT_PREVENT_ENUMERATION = env.bool("ACCOUNT_PREVENT_ENUMERATION", default=False)
ACCOUNT_PRESERVE_USERNAME_CASING = False
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[CraftAds] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"
ACCOUNT_EMAIL_NOTIFICATIONS = True  # mail the user when their password or email changes
ACCOUNT_LOGIN_BY_CODE_ENABLED = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
# allauth's rate limits are kept on (they use the cache). A wrong password is
# allowed five times per email in five minutes: the sixth is refused.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "login": "30/m/ip",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reauthenticate": "10/m/user",
}

GOOGLE_CLIENT_ID = env("GOOGLE_CLIENT_ID", default="")
GOOGLE_CLIENT_SECRET = env("GOOGLE_CLIENT_SECRET", default="")
GOOGLE_LOGIN_ENABLED = bool(GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET)
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_PROVIDERS = {
    "google": {
        "SCOPE": ["profile", "email"],
        "AUTH_PARAMS": {"access_type": "online"},
        "OAUTH_PKCE_ENABLED": True,
        "EMAIL_AUTHENTICATION": True,
        **(
            {"APPS": [{"client_id": GOOGLE_CLIENT_ID, "secret": GOOGLE_CLIENT_SECRET, "key": ""}]}
            if GOOGLE_LOGIN_ENABLED
            else {}
        ),
    }
}

# ---------------------------------------------------------------------------
# Email
# ---------------------------------------------------------------------------
# consolemail:// prints messages; smtp+tls://user:password@host:587 sends them.
globals().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="CraftAds <no-reply@craftads.local>")
SERVER_EMAIL = env("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
EMAIL_TIMEOUT = 10

# ---------------------------------------------------------------------------
# Internationalisation
# ---------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English")]
TIME_ZONE = "UTC"
USE_I18N = True
# UX area: sentence case for django-allauth's Title Case labels (locale/en/LC_MESSAGES/django.po).
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

# ---------------------------------------------------------------------------
# Static and media files
# ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
# The web process serves local uploads itself (embedded mode, tests). Production keeps
# them in S3, or behind a proxy that serves MEDIA_ROOT (MEDIA_SERVED_BY_PROXY).
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=DEBUG)
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))

AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if AWS_STORAGE_BUCKET_NAME:
    # Files are private: pages hand out signed URLs that expire.
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "region_name": env("AWS_S3_REGION_NAME", default=None),
            "endpoint_url": env("AWS_S3_ENDPOINT_URL", default=None),
            "custom_domain": env("AWS_S3_CUSTOM_DOMAIN", default=None),
            "addressing_style": env("AWS_S3_ADDRESSING_STYLE", default=None),
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": env.int("AWS_QUERYSTRING_EXPIRE", default=3600),
            # SigV4: botocore would otherwise sign SigV2 URLs with a custom endpoint, which newer regions refuse.
            "signature_version": "s3v4",
            "file_overwrite": False,
            "object_parameters": {"CacheControl": "private, max-age=3600"},
        },
    }
    # boto3 reads AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the environment itself.

# Uploads: checked by content, size and pixel count (craftplatform.images).
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
UPLOAD_MAX_PIXELS = env.int("UPLOAD_MAX_PIXELS", default=40_000_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o640

# ---------------------------------------------------------------------------
# REST API
# ---------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # API contract (issue 17): scoped keys, one error body, bounded pages.
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated", "accounts.api_scopes.ApiKeyScope"],
    "EXCEPTION_HANDLER": "craftplatform.api_errors.api_exception_handler",
    # JSON bodies (the schema's types hold); upload views accept multipart themselves.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "craftplatform.api_pagination.ApiPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": env("API_THROTTLE_RATE", default="600/hour")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CraftAds API",
    "DESCRIPTION": "Brand kits, ad templates, generations, credits and campaigns.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # UX area: Swagger UI from our own static files (drf-spectacular-sidecar), never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # API contract (issue 17): every operation's error answers, the Idempotency-Key header, upload limits.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "craftplatform.api_schema.document_errors",
    ],
    "COMPONENT_SPLIT_REQUEST": True,
    # Several apps have a "status", "kind" or "operation" of their own: each choice set gets its name.
    "ENUM_NAME_OVERRIDES": {
        # Every job (generations, image operations, ...) has the job runner's states (issue 10, jobs area).
        "JobStatusEnum": "craftplatform.jobs.models.JobStatus",
        "ImageOperationTypeEnum": "generations.models.OperationType",
        "AssetKindEnum": "generations.models.AssetKind",
        "AssetStatusEnum": "generations.models.AssetStatus",
        "VariationKindEnum": "generations.models.VariationKind",
        "CreditOperationEnum": "credits.constants.Operation",
        # Campaigns: a campaign's delivery status and a publish run's initial status share one choice set.
        "CampaignDeliveryStatusEnum": "campaigns.publishing.models.DeliveryStatus",
    },
}

# ---------------------------------------------------------------------------
# Celery
# ---------------------------------------------------------------------------
CELERY_BROKER_DIR = Path(env("CELERY_BROKER_DIR", default=str(VAR_DIR / "celery-broker")))
_default_broker = REDIS_URL or "filesystem://"
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=_default_broker)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=15 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=14 * 60)
# The longest countdown any task is scheduled with (retries with backoff).
CELERY_MAX_COUNTDOWN = env.int("CELERY_MAX_COUNTDOWN", default=10 * 60)
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=60 * 60)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# ---------------------------------------------------------------------------
# Logging
# ---------------------------------------------------------------------------
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOG_FORMAT = env("LOG_FORMAT", default="console")  # "console" or "json"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "craftplatform.logging.RedactSecretsFilter"}},
    "formatters": {
        "console": {"format": "%(asctime)s %(levelname)-7s %(name)s: %(message)s", "datefmt": "%H:%M:%S"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "default": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT if LOG_FORMAT in {"console", "json"} else "console",
            "filters": ["redact"],
        }
    },
    "root": {"handlers": ["default"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.security.DisallowedHost": {"level": "ERROR"},
        "celery": {"level": LOG_LEVEL},
    },
}

# ---------------------------------------------------------------------------
# Security defaults (production.py tightens the transport ones)
# ---------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# ---------------------------------------------------------------------------
# Product settings
# ---------------------------------------------------------------------------
PRODUCT_NAME = "CraftAds"
CREDITS_SIGNUP_BONUS = env.int("CREDITS_SIGNUP_BONUS", default=20)
# A hold nobody settles is released by the sweep after this long.
CREDITS_HOLD_TTL_SECONDS = env.int("CREDITS_HOLD_TTL_SECONDS", default=2 * 60 * 60)
# Daily free credits as each plan sets them (the free plan: 3). False gives none, whatever the plans say.
CREDITS_DAILY_ALLOWANCE = env.bool("CREDITS_DAILY_ALLOWANCE", default=True)
SUPPORT_EMAIL = env("SUPPORT_EMAIL", default="support@craftads.local")

# Generations. A job holds its lease this long; the sweep re-queues (or, after the last attempt,
# fails) a job whose lease ran out, releasing its hold.
GENERATION_TIME_LIMIT_SECONDS = env.int("GENERATION_TIME_LIMIT_SECONDS", default=10 * 60)
GENERATION_MAX_ATTEMPTS = env.int("GENERATION_MAX_ATTEMPTS", default=3)
GENERATION_MAX_VARIATIONS = env.int("GENERATION_MAX_VARIATIONS", default=4)
# --- Job runner (craftplatform.jobs; issue 10, jobs area) -------------------------------------
# Attempts before a job fails (a kind may name its own setting), its lease, the retry backoff
# (exponential with full jitter, capped), how long a queued job may wait for a worker before it
# fails (keep it under CREDITS_HOLD_TTL_SECONDS), when an unclaimed message is sent again, and how
# far past the lease a running job's holds are kept.
JOBS_MAX_ATTEMPTS = env.int("JOBS_MAX_ATTEMPTS", default=3)
JOBS_LEASE_SECONDS = env.int("JOBS_LEASE_SECONDS", default=10 * 60)
JOBS_BACKOFF_BASE_SECONDS = env.float("JOBS_BACKOFF_BASE_SECONDS", default=10.0)
JOBS_BACKOFF_MAX_SECONDS = env.float("JOBS_BACKOFF_MAX_SECONDS", default=300.0)
JOBS_QUEUE_TIMEOUT_SECONDS = env.int("JOBS_QUEUE_TIMEOUT_SECONDS", default=90 * 60)
JOBS_RESEND_AFTER_SECONDS = env.int("JOBS_RESEND_AFTER_SECONDS", default=20 * 60)
JOBS_HOLD_GRACE_SECONDS = env.int("JOBS_HOLD_GRACE_SECONDS", default=30 * 60)
# --- end job runner ---------------------------------------------------------------------------
# Free-plan files are removed after this many days; paid plans' files are kept (seed 004).
GENERATION_FREE_RETENTION_DAYS = env.int("GENERATION_FREE_RETENTION_DAYS", default=30)

# AI providers (each also switched on in the admin). See README "AI providers".
# OpenAI, or any server speaking its API (LocalAI, vLLM, Ollama, LM Studio): images and copy.
OPENAI_API_KEY = env("OPENAI_API_KEY", default="")
OPENAI_BASE_URL = env("OPENAI_BASE_URL", default="https://api.openai.com/v1")
OPENAI_IMAGE_MODEL = env("OPENAI_IMAGE_MODEL", default="gpt-image-1")
# The sizes the image model accepts: the closest in shape is asked for, then cropped to the format.
OPENAI_IMAGE_SIZES = env.list("OPENAI_IMAGE_SIZES", default=["1024x1024", "1536x1024", "1024x1536"])
OPENAI_IMAGE_QUALITY = env("OPENAI_IMAGE_QUALITY", default="")  # blank: the model's default
OPENAI_CHAT_MODEL = env("OPENAI_CHAT_MODEL", default="gpt-4o-mini")
# A Stable Diffusion web UI (AUTOMATIC1111 or Forge) started with --api: images, upscaling and,
# with its rembg extension, background removal.
AUTOMATIC1111_URL = env("AUTOMATIC1111_URL", default="")
AUTOMATIC1111_API_AUTH = env("AUTOMATIC1111_API_AUTH", default="")  # user:password, as given to --api-auth
AUTOMATIC1111_MODEL = env("AUTOMATIC1111_MODEL", default="")  # checkpoint; blank: the one loaded
AUTOMATIC1111_SAMPLER = env("AUTOMATIC1111_SAMPLER", default="DPM++ 2M")
AUTOMATIC1111_STEPS = env.int("AUTOMATIC1111_STEPS", default=25)
AUTOMATIC1111_MAX_SIDE = env.int("AUTOMATIC1111_MAX_SIDE", default=1024)
AUTOMATIC1111_UPSCALER = env("AUTOMATIC1111_UPSCALER", default="R-ESRGAN 4x+")
AUTOMATIC1111_REMBG_MODEL = env("AUTOMATIC1111_REMBG_MODEL", default="")  # e.g. u2net; blank: off
# Every provider request: seconds to wait for the answer, largest answer and image accepted.
AI_PROVIDER_TIMEOUT_SECONDS = env.float("AI_PROVIDER_TIMEOUT_SECONDS", default=120.0)
AI_PROVIDER_MAX_RESPONSE_BYTES = env.int("AI_PROVIDER_MAX_RESPONSE_BYTES", default=64 * 1024 * 1024)
AI_PROVIDER_MAX_IMAGE_PIXELS = env.int("AI_PROVIDER_MAX_IMAGE_PIXELS", default=64_000_000)

# Stripe: buying credits and plans is switched on by the secret key. Without it the
# packs and plans pages say buying is off and staff can still grant credits.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
# Only for pointing the SDK at a local Stripe fake (tests, demos); empty means Stripe itself.
STRIPE_API_BASE = env("STRIPE_API_BASE", default="")
STRIPE_TIMEOUT_SECONDS = env.int("STRIPE_TIMEOUT_SECONDS", default=20)
STRIPE_WEBHOOK_TOLERANCE_SECONDS = 300

# ---------------------------------------------------------------------------
# Security hardening (issue 11): API throttle, upload quotas, private media, CSP
# ---------------------------------------------------------------------------
# The API throttle counts with one atomic increment (craftplatform/throttling.py) and answers
# RateLimit-* headers on every API answer (Retry-After on 429).
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = ["craftplatform.throttling.AtomicRateThrottle"]
MIDDLEWARE.append("craftplatform.middleware.RateLimitHeadersMiddleware")
# Private files on local disk (craftplatform/media.py): /media/ answers only the file's owner. Behind a
# proxy that sends the bytes (MEDIA_SERVED_BY_PROXY), the web process answers X-Accel-Redirect to
# MEDIA_PROXY_INTERNAL_PREFIX (nginx `internal` location), or X-Sendfile with MEDIA_PROXY_HEADER=X-Sendfile.
MEDIA_SERVED_BY_PROXY = env.bool("MEDIA_SERVED_BY_PROXY", default=False)
MEDIA_PROXY_HEADER = env("MEDIA_PROXY_HEADER", default="X-Accel-Redirect")
MEDIA_PROXY_INTERNAL_PREFIX = env("MEDIA_PROXY_INTERNAL_PREFIX", default="/protected-media/")
# Uploads (craftplatform/uploads.py, credits/services/storage.py): files per user per period on every
# upload entry point, and storage per user by plan (a plan's own storage_quota_mb wins). 0: no limit.
UPLOAD_RATE_LIMIT = env("UPLOAD_RATE_LIMIT", default="100/hour")
STORAGE_QUOTA_FREE_MB = env.int("STORAGE_QUOTA_FREE_MB", default=500)
STORAGE_QUOTA_PAID_MB = env.int("STORAGE_QUOTA_PAID_MB", default=5 * 1024)
# Content-Security-Policy on every HTML answer (django-csp). Scripts only from this site or with the
# request's nonce (the few inline ones); styles allow inline attributes (templates set widths and
# swatch colours in style=""); no plugins, no framing, no <base> tricks. form-action is left open:
# Chrome applies it to the redirects after a POST, and checkout (Stripe) and Google sign-in are such
# redirects. Images may come from S3 (signed URLs) when it stores the files. The API's Swagger page is
# covered too: its assets are our static files (sidecar) and its script a file of its own (split view).
_CSP_IMG = [SELF, "data:", "blob:"]
if AWS_STORAGE_BUCKET_NAME:
    _CSP_IMG += [
        origin
        for origin in (
            env("AWS_S3_ENDPOINT_URL", default=""),
            f"https://{env('AWS_S3_CUSTOM_DOMAIN', default='')}" if env("AWS_S3_CUSTOM_DOMAIN", default="") else "",
            "https://*.amazonaws.com",
        )
        if origin
    ]
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": [],
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": _CSP_IMG + env.list("CSP_EXTRA_IMG_SRC", default=[]),
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
    },
}
INSTALLED_APPS.append("csp")
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "csp.middleware.CSPMiddleware")

# ---------------------------------------------------------------------------
# Campaigns: Meta (connect and publish). See README "Campaigns and Meta".
# ---------------------------------------------------------------------------
# The Meta app (developers.facebook.com) that users connect through. Without both, users can still
# draft campaigns and the Campaigns area says that publishing needs the operator to configure one.
META_APP_ID = env("META_APP_ID", default="")
META_APP_SECRET = env("META_APP_SECRET", default="")
# Only for tests and demos: point the SDK (and Facebook Login's dialog) at another server.
META_GRAPH_URL = env("META_GRAPH_URL", default="https://graph.facebook.com").rstrip("/")
META_OAUTH_DIALOG_URL = env("META_OAUTH_DIALOG_URL", default="https://www.facebook.com/v23.0/dialog/oauth")
META_API_VERSION = env("META_API_VERSION", default="v23.0")
META_TIMEOUT_SECONDS = env.int("META_TIMEOUT_SECONDS", default=30)
# A rate-limited publish waits at least this long (and at least what Meta's usage headers say).
META_RATE_LIMIT_MIN_WAIT_SECONDS = env.int("META_RATE_LIMIT_MIN_WAIT_SECONDS", default=60)

# --- Meta performance sync (campaigns/sync) ---
# Meta restates recent days: every sync re-reads this many days; older days are read once.
META_SYNC_RESTATE_DAYS = env.int("META_SYNC_RESTATE_DAYS", default=28)
META_SYNC_WINDOW_DAYS = env.int("META_SYNC_WINDOW_DAYS", default=7)  # days per insights request
META_SYNC_PAGE_SIZE = env.int("META_SYNC_PAGE_SIZE", default=500)
# A first sync back-fills older days in windows this large, as asynchronous report runs.
META_SYNC_BACKFILL_WINDOW_DAYS = env.int("META_SYNC_BACKFILL_WINDOW_DAYS", default=30)
META_SYNC_REPORT_TIMEOUT_SECONDS = env.int("META_SYNC_REPORT_TIMEOUT_SECONDS", default=15 * 60)
META_SYNC_LEASE_SECONDS = env.int("META_SYNC_LEASE_SECONDS", default=10 * 60)
META_SYNC_MAX_ATTEMPTS = env.int("META_SYNC_MAX_ATTEMPTS", default=8)
# Past this share of any usage header, the sync pauses before its next call (up to the maximum).
META_SYNC_SLOWDOWN_PERCENT = env.int("META_SYNC_SLOWDOWN_PERCENT", default=75)
META_SYNC_MAX_PAUSE_SECONDS = env.float("META_SYNC_MAX_PAUSE_SECONDS", default=30.0)
META_SYNC_NOW_PER_HOUR = env.int("META_SYNC_NOW_PER_HOUR", default=4)
# Template click-through rates are ranked and shown only past this many impressions.
TEMPLATE_METRICS_MIN_IMPRESSIONS = env.int("TEMPLATE_METRICS_MIN_IMPRESSIONS", default=1000)
# Days of synced numbers the nightly template-metrics rollup recomputes.
TEMPLATE_METRICS_ROLLUP_DAYS = env.int("TEMPLATE_METRICS_ROLLUP_DAYS", default=28)
# A publish run holds its lease this long; attempts (worker deaths, transient Meta errors) are capped.
CAMPAIGN_PUBLISH_LEASE_SECONDS = env.int("CAMPAIGN_PUBLISH_LEASE_SECONDS", default=5 * 60)
CAMPAIGN_PUBLISH_MAX_ATTEMPTS = env.int("CAMPAIGN_PUBLISH_MAX_ATTEMPTS", default=8)
# "Publish" and status changes per user per hour.
CAMPAIGN_PUBLISH_RATE_LIMIT = env.int("CAMPAIGN_PUBLISH_RATE_LIMIT", default=30)

# ---------------------------------------------------------------------------
# Analytics
# ---------------------------------------------------------------------------
# Days before today that the hourly rollup recomputes (late rows, restated numbers).
ANALYTICS_RECOMPUTE_DAYS = env.int("ANALYTICS_RECOMPUTE_DAYS", default=3)
# Meta restates insights up to 28 days back: the ad-performance rollups of that window are redone.
ANALYTICS_PERFORMANCE_RECOMPUTE_DAYS = env.int("ANALYTICS_PERFORMANCE_RECOMPUTE_DAYS", default=28)

# ---------------------------------------------------------------------------
# Landing pages, leads, page events, outgoing webhooks (issue 15)
# ---------------------------------------------------------------------------
# Page events: the Redis stream the beacon appends to (default: REDIS_URL; empty: events are
# written straight to the database, the embedded mode), and how the drain reads it.
PAGE_EVENTS_REDIS_URL = env("PAGE_EVENTS_REDIS_URL", default=REDIS_URL)
PAGE_EVENTS_DRAIN_BATCH = env.int("PAGE_EVENTS_DRAIN_BATCH", default=2000)
PAGE_EVENTS_CLAIM_IDLE_MS = env.int("PAGE_EVENTS_CLAIM_IDLE_MS", default=30_000)
PAGE_EVENTS_REDIS_RETRY_SECONDS = env.float("PAGE_EVENTS_REDIS_RETRY_SECONDS", default=5.0)
PAGE_EVENTS_RATE_LIMIT = env.int("PAGE_EVENTS_RATE_LIMIT", default=120)  # events per address per minute
# The request header a proxy sets with the visitor's country (e.g. HTTP_CF_IPCOUNTRY); empty: none.
PAGE_EVENTS_COUNTRY_META = env("PAGE_EVENTS_COUNTRY_META", default="")
# Lead forms: seconds a person needs at least, and submissions per address and page per window.
LEAD_MIN_SECONDS = env.int("LEAD_MIN_SECONDS", default=2)
LEAD_RATE_LIMIT = env.int("LEAD_RATE_LIMIT", default=5)
LEAD_RATE_WINDOW = env.int("LEAD_RATE_WINDOW", default=600)
# Outgoing webhooks and WordPress: requests to user-given addresses (craftplatform/safe_http.py).
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
WEBHOOK_RETRY_WINDOW_SECONDS = env.int("WEBHOOK_RETRY_WINDOW_SECONDS", default=24 * 3600)
SAFE_HTTP_TIMEOUT_SECONDS = env.float("SAFE_HTTP_TIMEOUT_SECONDS", default=20.0)
SAFE_HTTP_MAX_BYTES = env.int("SAFE_HTTP_MAX_BYTES", default=10 * 1024 * 1024)
# Only for test suites talking to local fake servers: lets safe_http reach 127.0.0.1 / ::1.
SAFE_HTTP_ALLOW_LOOPBACK_FOR_TESTS = env.bool("SAFE_HTTP_ALLOW_LOOPBACK_FOR_TESTS", default=False)
