#!/usr/bin/env bash
# Set up and run CraftAds on its embedded defaults: SQLite, local files, local-memory
# cache and a filesystem Celery broker (no outside service). Serves http://127.0.0.1:8000
# and runs a real Celery worker (with beat) beside the web server.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-craftplatform.settings.local}
.venv/bin/python manage.py migrate --noinput
# The shipped templates: the first run renders them (a few seconds), later runs skip unchanged files.
.venv/bin/python manage.py load_template_library || echo "dev: some library templates did not load (see above)" >&2

.venv/bin/celery -A craftplatform worker --beat --queues generation,sync,default \
  --concurrency 2 --loglevel INFO --schedule var/celerybeat-schedule &
worker=$!
trap 'kill $worker 2>/dev/null; wait $worker 2>/dev/null' EXIT INT TERM

echo "CraftAds is starting on http://${HOST:-127.0.0.1}:${PORT:-8000}/ (Ctrl-C stops the web server and the worker)"
.venv/bin/python manage.py runserver "${HOST:-127.0.0.1}:${PORT:-8000}"
