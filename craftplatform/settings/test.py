"""Settings for the test suite.

The database and cache come from the environment like everywhere else: the
README's test command points DATABASE_URL and REDIS_URL at PostgreSQL and
Redis when they answer, and leaves them unset (SQLite, local memory) when
they do not.
"""

from .base import *  # noqa: F403
from .base import CELERY_BROKER_URL, VAR_DIR, env

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-used-anywhere-else-0123456789"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ALLOWED_HOSTS = ["*"]
SERVE_MEDIA = True

# Balances in tests are exact: the daily free credits are switched on only by the tests about them.
CREDITS_DAILY_ALLOWANCE = False

# Jobs run inline unless a test starts a real worker (tests/workers).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
CELERY_BROKER_URL = CELERY_BROKER_URL

# Tests write files to a throwaway folder set by tests/conftest.py.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING["root"]["level"] = "WARNING"

# whitenoise looks for collected files at start-up; tests serve none.
STATIC_ROOT = VAR_DIR / "test-staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# --- test runs (issue 10): each run (scripts/test.sh) has its own test database, named after its id ---
# A second run's --create-db otherwise drops the first run's database under it.
TEST_RUN_ID = env.str("CRAFTADS_TEST_RUN_ID", default="")
if TEST_RUN_ID and DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"]["TEST"] = {
        **DATABASES["default"].get("TEST", {}),
        "NAME": f"test_{DATABASES['default']['NAME']}_{TEST_RUN_ID}"[:63],
    }
# Landing pages (issue 15): fake WordPress and webhook receivers listen on 127.0.0.1.
SAFE_HTTP_ALLOW_LOOPBACK_FOR_TESTS = True
LEAD_MIN_SECONDS = 0
