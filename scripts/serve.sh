#!/usr/bin/env bash
# One command for a newcomer: set up, create or upgrade the SQLite database in instance/, and start the service.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/timebank init
# The workers' request counters for /metrics, summed over all of them (emptied at each start).
export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-instance/prometheus}"
mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
find "$PROMETHEUS_MULTIPROC_DIR" -maxdepth 1 -name '*.db' -delete
port=${PORT:-8000}
echo "timebank: serving on http://127.0.0.1:${port} (Ctrl-C stops)"
exec .venv/bin/gunicorn --workers "${WORKERS:-2}" --bind "127.0.0.1:${port}" --access-logfile - wsgi:app
