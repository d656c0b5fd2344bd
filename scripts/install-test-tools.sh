#!/usr/bin/env bash
# What the browser tests need beyond Python packages, installed from the ordinary registries only:
#   - Debian's chromium (Playwright drives it through executable_path; `playwright install` is never used),
#   - a CJK font, so pages and screenshots show Chinese text instead of empty boxes,
#   - axe-core from npm, pinned by package-lock.json (the accessibility scans inject node_modules/axe-core/axe.min.js),
#   - Debian's faketime, so a test runs `faketime '+40 days' timebank jobs run expire-credits` as an operator would.
# Called by scripts/setup.sh --test. Safe to run again: it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=()
[[ -x /usr/bin/chromium ]] || apt_packages+=(chromium)
fc-list :lang=zh 2>/dev/null | grep -q . || apt_packages+=(fonts-wqy-microhei)
command -v npm >/dev/null || apt_packages+=(npm)
command -v faketime >/dev/null || apt_packages+=(faketime)

if (( ${#apt_packages[@]} )); then
    echo "install-test-tools: apt-get install ${apt_packages[*]}"
    export DEBIAN_FRONTEND=noninteractive
    sudo_=""
    (( EUID == 0 )) || sudo_="sudo"
    # The package lists may be missing or old on a fresh machine; refresh them only when an install needs it.
    if ! $sudo_ apt-get install -y --no-install-recommends "${apt_packages[@]}"; then
        $sudo_ apt-get update
        $sudo_ apt-get install -y --no-install-recommends "${apt_packages[@]}"
    fi
fi

if [[ ! -f node_modules/axe-core/axe.min.js || package-lock.json -nt node_modules/.package-lock.json ]]; then
    echo "install-test-tools: npm ci (axe-core)"
    npm ci --ignore-scripts --no-audit --no-fund
fi
