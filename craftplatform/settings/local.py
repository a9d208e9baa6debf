"""The embedded mode: a fresh machine, no outside services."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=True)
INTERNAL_IPS = ["127.0.0.1"]
