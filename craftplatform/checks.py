"""System checks run at start-up (runserver, migrate, check --deploy)."""

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from craftplatform.celery import validate_conf


@checks.register(checks.Tags.compatibility)
def celery_settings_check(app_configs, **kwargs):
    try:
        validate_conf(settings)
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="craftplatform.E001")]
    return []
