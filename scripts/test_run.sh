# Sourced by scripts/test.sh: give this test run its own database and Redis database.
# Locks are flock(1) files under var/test-locks/: the kernel lets go of them when the run's
# process ends, however it ends, so a killed run never leaves a stale lock behind.

TEST_LOCK_DIR="var/test-locks"
# Redis databases a run may take when REDIS_URL does not name one (13 is the worker tests',
# which take turns through a lock in Redis itself; 0-8 are left to development and to runs that name one).
TEST_REDIS_DATABASES="9 10 11 12"

_redis_db_of() { # url -> its database number (0 when none)
  local path="${1#redis://}"
  path="${path#*/}"
  [ "$path" = "${1#redis://}" ] && { echo 0; return; }
  path="${path%%\?*}"
  echo "${path:-0}"
}

_lock() { # name fd: take an exclusive lock, without waiting; status 1 when another run has it
  mkdir -p "$TEST_LOCK_DIR"
  eval "exec $2>\"$TEST_LOCK_DIR/$1.lock\""
  flock -n "$2"
}

test_run_start() {
  export CRAFTADS_TEST_RUN_ID="${CRAFTADS_TEST_RUN_ID:-$$}"
  if ! [[ "$CRAFTADS_TEST_RUN_ID" =~ ^[A-Za-z0-9_]{1,20}$ ]]; then
    echo "test run: CRAFTADS_TEST_RUN_ID must be 1-20 letters, digits or _ (it names a database)" >&2
    exit 2
  fi
  if [ -n "${REDIS_URL:-}" ]; then
    local base="${REDIS_URL%/*}" db
    if [ "${CRAFTADS_REDIS_URL_FROM_SERVICES:-0}" = "1" ]; then
      # services.sh chose it: take the first Redis database no other run holds.
      for db in $TEST_REDIS_DATABASES; do
        if _lock "redis-$db" 8; then
          export REDIS_URL="$base/$db"
          break
        fi
        exec 8>&-
        db=""
      done
      if [ -z "$db" ]; then
        echo "test run: Redis databases $TEST_REDIS_DATABASES are all held by other test runs; waiting for database ${TEST_REDIS_DATABASES%% *}" >&2
        db="${TEST_REDIS_DATABASES%% *}"
        _lock "redis-$db" 8 || flock 8
        export REDIS_URL="$base/$db"
      fi
    else
      db=$(_redis_db_of "$REDIS_URL")
      if ! _lock "redis-$db" 8; then
        echo "test run: another test run is using Redis database $db ($REDIS_URL); the suite empties it, so this run waits until that one ends (set REDIS_URL to another database to run both at once)" >&2
        flock 8
      fi
    fi
  fi
  echo "test run: id $CRAFTADS_TEST_RUN_ID, REDIS_URL=${REDIS_URL:-<local memory>}, test database named after the run id"
}

test_run_end() {
  # The run's own test database goes with it (pytest-django keeps it: --reuse-db is the default).
  if [ -n "${DATABASE_URL:-}" ] && [[ "$DATABASE_URL" == postgres* ]]; then
    "${PYTHON_BIN:-python3}" - <<'PY' || true
import os
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

url = os.environ["DATABASE_URL"]
name = f"test_{urlsplit(url).path.lstrip('/')}_{os.environ['CRAFTADS_TEST_RUN_ID']}"[:63]
admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
with psycopg.connect(admin, autocommit=True) as connection:
    connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
PY
  fi
}
