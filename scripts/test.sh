#!/usr/bin/env bash
# One command: set up everything the tests need and run the whole suite, on SQLite and PostgreSQL.
# Extra arguments go to pytest. pytest's "no tests ran" (exit 5) is a failure here like any other non-zero exit.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
exec .venv/bin/python -m pytest "$@"
