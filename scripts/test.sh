#!/usr/bin/env bash
# Run the test suite. Uses PostgreSQL and Redis when this machine has them (starting
# them if they are installed and stopped), SQLite and local memory otherwise.
# Extra arguments go to pytest, e.g. scripts/test.sh tests/accounts -x
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh dev
PYTHON_BIN=.venv/bin/python
# shellcheck source=scripts/services.sh
. scripts/services.sh
# A new database per run keeps a schema from an older checkout out of the way.
exec .venv/bin/pytest --create-db "$@"
