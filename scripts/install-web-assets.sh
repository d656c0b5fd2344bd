#!/usr/bin/env bash
# Third-party browser code the app serves, installed from the npm registry (pinned by package-lock.json) and copied
# into a gitignored static folder; nothing of it is committed:
#   - jsQR (Apache-2.0): the pickup desk's QR decoder for browsers without the native BarcodeDetector, served at
#     /desk/assets/vendor/jsQR.js with its licence beside it.
# Called by scripts/setup.sh on every setup. Safe to run again: it skips what is already there. Without it the desk
# still works with a USB scanner, typed short codes and (where the browser has it) BarcodeDetector.
set -euo pipefail
cd "$(dirname "$0")/.."

vendor=timebank/drives/desk_static/vendor

if ! command -v npm >/dev/null; then
    echo "install-web-assets: apt-get install npm"
    export DEBIAN_FRONTEND=noninteractive
    sudo_=""
    (( EUID == 0 )) || sudo_="sudo"
    if ! $sudo_ apt-get install -y --no-install-recommends npm; then
        $sudo_ apt-get update
        $sudo_ apt-get install -y --no-install-recommends npm
    fi
fi

if [[ ! -f node_modules/jsqr/dist/jsQR.js || package-lock.json -nt node_modules/.package-lock.json ]]; then
    echo "install-web-assets: npm ci (jsqr)"
    # The test tools (axe-core) are scripts/install-test-tools.sh's to install; kept when they are there already
    # (npm ci empties node_modules first).
    omit=(--omit=dev)
    [[ -d node_modules/axe-core ]] && omit=()
    npm ci "${omit[@]}" --ignore-scripts --no-audit --no-fund
fi

mkdir -p "$vendor"
# Compared by content: npm gives every unpacked file the same old mtime, so a newer version would not look newer.
if ! cmp -s node_modules/jsqr/dist/jsQR.js "$vendor/jsQR.js"; then
    cp node_modules/jsqr/dist/jsQR.js "$vendor/jsQR.js"
    cp node_modules/jsqr/LICENSE "$vendor/jsQR.LICENSE.txt"
fi
