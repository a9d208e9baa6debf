from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from craftplatform.schedules import PREFIX, SCHEDULES, sync_schedules
from craftplatform.tasks import clear_expired_sessions_task

pytestmark = pytest.mark.django_db


def test_every_declared_schedule_is_in_the_database_after_migrate():
    names = set(PeriodicTask.objects.filter(name__startswith=PREFIX).values_list("name", flat=True))
    assert names == {PREFIX + s.name for s in SCHEDULES}
    for task in PeriodicTask.objects.filter(name__startswith=PREFIX):
        assert task.expire_seconds  # a missed run must not pile up behind a stopped worker


def test_sync_keeps_staff_changes_and_removes_undeclared_entries():
    task = PeriodicTask.objects.get(name=PREFIX + SCHEDULES[0].name)
    task.enabled = False
    task.save()
    stale = PeriodicTask.objects.create(name=PREFIX + "old job", task="x.y", interval=None, crontab=task.crontab)

    result = sync_schedules()

    task.refresh_from_db()
    assert task.enabled is False  # paused by staff: stays paused
    assert not PeriodicTask.objects.filter(pk=stale.pk).exists()
    assert result == {"created": 0, "removed": 1, "declared": len(SCHEDULES)}


def test_clear_expired_sessions_task_deletes_only_expired_ones():
    Session.objects.create(session_key="old", session_data="", expire_date=timezone.now() - timedelta(days=1))
    Session.objects.create(session_key="new", session_data="", expire_date=timezone.now() + timedelta(days=1))
    assert clear_expired_sessions_task.delay().get() == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == ["new"]
