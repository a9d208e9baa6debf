"""Production settings: `check --deploy` is clean, and every insecure value stops start-up."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# A throwaway Fernet key made for this test.
GOOD_FERNET_KEY = "ZVk-QhK4mXMwsIKn-h5qr1WhYP18mK45QEdAM-PHgk4="
GOOD_KEY = "q8#Vd2!mZ0x@Lr7$Tn4^Hs9&Kp1*Wc6(Yb3)Fg5_Je8+Ua0-Oi2=Ne7"


def _run(*args, **env_overrides):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "craftplatform.settings.production",
            "DJANGO_SECRET_KEY": GOOD_KEY,
            "DJANGO_ALLOWED_HOSTS": "ads.example.com",
            "DJANGO_DEBUG": "false",
            "AWS_STORAGE_BUCKET_NAME": "craftads-media",
            "FIELD_ENCRYPTION_KEYS": GOOD_FERNET_KEY,
        }
    )
    env.update({k: v for k, v in env_overrides.items() if v is not None})
    for key in [k for k, v in env_overrides.items() if v is None]:
        env.pop(key, None)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_check_deploy_is_clean_with_production_settings():
    result = _run("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        ({"DJANGO_SECRET_KEY": None}, "DJANGO_SECRET_KEY"),
        (
            {"DJANGO_SECRET_KEY": "django-insecure-craftads-embedded-mode-only-do-not-use-in-production"},
            "DJANGO_SECRET_KEY",
        ),
        ({"DJANGO_SECRET_KEY": "short"}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_DEBUG": "true"}, "DJANGO_DEBUG"),
        ({"DJANGO_ALLOWED_HOSTS": None}, "DJANGO_ALLOWED_HOSTS"),
        ({"DJANGO_ALLOWED_HOSTS": ""}, "DJANGO_ALLOWED_HOSTS"),
        ({"AWS_STORAGE_BUCKET_NAME": None}, "AWS_STORAGE_BUCKET_NAME"),
        ({"FIELD_ENCRYPTION_KEYS": None}, "FIELD_ENCRYPTION_KEYS"),
    ],
)
def test_insecure_settings_are_refused_naming_the_variable(overrides, variable):
    result = _run("check", **overrides)
    assert result.returncode != 0
    assert "Refusing to start" in result.stderr
    assert f"Set {variable}" in result.stderr


def test_production_uses_hashed_compressed_static_files_and_secure_cookies():
    result = _run(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings as s; print(s.STORAGES['staticfiles']['BACKEND'], s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.LOGGING['handlers']['default']['formatter'])",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "whitenoise.storage.CompressedManifestStaticFilesStorage",
        "True",
        "True",
        "True",
        "json",
    ]


def test_s3_storage_switches_on_with_its_bucket():
    result = _run(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings as s; print(s.STORAGES['default']['BACKEND'])",
        AWS_STORAGE_BUCKET_NAME="craftads-media",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "storages.backends.s3.S3Storage"


def test_local_uploads_are_allowed_when_a_proxy_serves_them():
    result = _run("check", AWS_STORAGE_BUCKET_NAME=None, MEDIA_SERVED_BY_PROXY="true")
    assert result.returncode == 0, result.stderr
