"""Two test runs on one machine never share a database: the test database is named after the run id."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _test_database_name(run_id: str | None) -> str:
    env = {**os.environ, "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/craftads"}
    env.pop("CRAFTADS_TEST_RUN_ID", None)
    if run_id is not None:
        env["CRAFTADS_TEST_RUN_ID"] = run_id
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'craftplatform.settings.test'; django.setup(); "
        "from django.conf import settings; print(settings.DATABASES['default'].get('TEST', {}).get('NAME') or '')"
    )
    return subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()


def test_the_test_database_is_named_after_the_run():
    assert _test_database_name("4711") == "test_craftads_4711"
