#!/usr/bin/env bash
# Set up everything the service needs on a fresh machine: a virtualenv with the project installed.
# With --test, also what the test suite needs (test packages; PostgreSQL running).
# Safe to run again: it skips what is already done.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
want_test=0
[[ "${1:-}" == "--test" ]] && want_test=1

if [[ ! -x .venv/bin/python ]]; then
    echo "setup: creating .venv"
    "$PYTHON" -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip
fi

extras=""
(( want_test )) && extras="[test]"
stamp=".venv/.installed$extras"
if [[ ! -f "$stamp" || setup.cfg -nt "$stamp" || pyproject.toml -nt "$stamp" ]]; then
    echo "setup: installing timebank$extras and its dependencies"
    .venv/bin/python -m pip install --quiet -e ".$extras"
    touch "$stamp"
fi

# The PDF certificates embed a Chinese TrueType font at run time (timebank/certificates/pdf.py looks for Debian's);
# without one the service still runs, and a PDF download says why it cannot be made.
if [[ -z "${TIMEBANK_CERTIFICATE_FONT:-}" && ! -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]]; then
    echo "setup: apt-get install fonts-wqy-microhei (the PDF certificates' Chinese font)"
    sudo_=""
    (( EUID == 0 )) || sudo_="sudo"
    export DEBIAN_FRONTEND=noninteractive
    if ! { $sudo_ apt-get install -y --no-install-recommends fonts-wqy-microhei \
           || { $sudo_ apt-get update && $sudo_ apt-get install -y --no-install-recommends fonts-wqy-microhei; }; }; then
        echo "setup: WARNING: no Chinese font installed; PDF certificates are refused until one is" \
             "(fonts-wqy-microhei, or TIMEBANK_CERTIFICATE_FONT=/path/to/font.ttf)" >&2
    fi
fi

# The pages' translations: compiled from the .po catalogs here, never committed.
.venv/bin/pybabel -q compile -d timebank/translations
# Browser code the app serves from npm (the desk's QR decoder), copied into a gitignored static folder.
scripts/install-web-assets.sh
# A CJK font for the reports' charts (drawn on the server); without one they are labelled in English.
scripts/install-fonts.sh || echo "setup: no CJK font; the reports' charts will be labelled in English"

if (( want_test )); then
    scripts/install-test-tools.sh  # headless Chromium, a CJK font and axe-core for tests/browser
    if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
        echo "setup: starting PostgreSQL"
        pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
        for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
    fi
fi
