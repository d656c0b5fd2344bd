#!/usr/bin/env bash
# A font with Chinese glyphs, which the reports' charts (matplotlib, drawn on the server) need to write Chinese:
# Debian's fonts-wqy-microhei, from the ordinary package registry. Without one the charts are labelled in English.
# Called by scripts/setup.sh (serving needs it, not only the tests). Safe to run again: it skips what is there.
set -euo pipefail

if fc-list :lang=zh 2>/dev/null | grep -q .; then
    exit 0
fi
if ! command -v apt-get >/dev/null; then
    echo "install-fonts: no CJK font and no apt-get; install one (such as WenQuanYi Micro Hei) for Chinese charts"
    exit 1
fi
echo "install-fonts: apt-get install fonts-wqy-microhei"
export DEBIAN_FRONTEND=noninteractive
sudo_=""
(( EUID == 0 )) || sudo_="sudo"
if ! $sudo_ apt-get install -y --no-install-recommends fonts-wqy-microhei; then
    $sudo_ apt-get update
    $sudo_ apt-get install -y --no-install-recommends fonts-wqy-microhei
fi
