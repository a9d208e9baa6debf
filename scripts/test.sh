#!/usr/bin/env bash
# Run the test suite. Uses PostgreSQL and Redis when this machine has them (starting
# them if they are installed and stopped), SQLite and local memory otherwise.
# Extra arguments go to pytest, e.g. scripts/test.sh tests/accounts -x
#
# Runs on one machine never collide: each run has an id (CRAFTADS_TEST_RUN_ID, default this
# shell's pid), its test database is named after it (test_<name>_<run id>, created by this
# run and dropped when it ends), and it takes a Redis database of its own: the one REDIS_URL
# names (waiting, and saying so, while another run has it), or the first free one of 9-12
# when REDIS_URL is not set.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh dev
PYTHON_BIN=.venv/bin/python
# shellcheck source=scripts/services.sh
. scripts/services.sh
# shellcheck source=scripts/test_run.sh
. scripts/test_run.sh

test_run_start
trap test_run_end EXIT
status=0
.venv/bin/pytest --create-db "$@" || status=$?
exit $status
