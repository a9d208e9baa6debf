"""Celery tasks (queue `generation`): thin wrappers over services, taking ids, safe to run twice.

The package imports every module so that Celery's autodiscovery of `generations.tasks` finds them.
"""

from generations.tasks import generation, maintenance, notifications, operations  # noqa: F401
