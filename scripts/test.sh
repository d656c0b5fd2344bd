#!/usr/bin/env bash
# One command: set up everything the tests need and run the whole suite, on SQLite and PostgreSQL.
# Extra arguments go to pytest. pytest's "no tests ran" (exit 5) is a failure here like any other non-zero exit.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
# Two test processes (TEST_WORKERS to change; 0 runs in this process): much of the suite waits on PostgreSQL, Chromium
# and gunicorn, so two share this 2-core machine well. Each process builds its own template database.
exec .venv/bin/python -m pytest -n "${TEST_WORKERS:-2}" "$@"
