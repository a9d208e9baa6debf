# Sourced by scripts/test.sh and .ci/run: find PostgreSQL and Redis on this machine,
# start them when they are installed but down, and point the suite at them.
# Leaves DATABASE_URL / REDIS_URL unset when a service cannot be had, so the
# suite runs on SQLite and local memory instead (unless CRAFTADS_REQUIRE_SERVICES=1).

_port_open() {  # host port
  "${PYTHON_BIN:-python3}" - "$1" "$2" <<'PY' 2>/dev/null
import socket, sys
s = socket.socket(); s.settimeout(1)
sys.exit(0 if s.connect_ex((sys.argv[1], int(sys.argv[2]))) == 0 else 1)
PY
}

_wait_port() {  # host port seconds
  for _ in $(seq 1 "$3"); do _port_open "$1" "$2" && return 0; sleep 1; done
  return 1
}

_start_postgres() {
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    local version
    version=$(ls /etc/postgresql | sort -V | tail -1)
    echo "services: starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start >/dev/null 2>&1 || true
    _wait_port 127.0.0.1 5432 20
  else
    return 1
  fi
}

_start_redis() {
  if command -v redis-server >/dev/null 2>&1; then
    echo "services: starting Redis"
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/craftads.log >/dev/null 2>&1 \
      || redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null 2>&1 || true
    _wait_port 127.0.0.1 6379 10
  else
    return 1
  fi
}

if [ "${CRAFTADS_TEST_SERVICES:-auto}" != "none" ]; then
  if [ -z "${DATABASE_URL:-}" ]; then
    if _port_open 127.0.0.1 5432 || _start_postgres; then
      export DATABASE_URL="postgres://${PGUSER:-postgres}@127.0.0.1:5432/craftads"
    fi
  fi
  if [ -z "${REDIS_URL:-}" ]; then
    if _port_open 127.0.0.1 6379 || _start_redis; then
      # A database of its own: the suite flushes it (scripts/test_run.sh picks a free one per run).
      export REDIS_URL="redis://127.0.0.1:6379/15"
      export CRAFTADS_REDIS_URL_FROM_SERVICES=1
    fi
  fi
fi

echo "services: DATABASE_URL=${DATABASE_URL:-<unset: SQLite>} REDIS_URL=${REDIS_URL:-<unset: local memory>}"
if [ "${CRAFTADS_REQUIRE_SERVICES:-0}" = "1" ] && { [ -z "${DATABASE_URL:-}" ] || [ -z "${REDIS_URL:-}" ]; }; then
  echo "services: PostgreSQL and Redis are required here but could not be reached or started." >&2
  return 1 2>/dev/null || exit 1
fi
