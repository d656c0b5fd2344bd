#!/usr/bin/env python
"""Bring the Chinese catalog up to date with the code, losing nothing.

Extracts every message (``_``, ``_l``, ``ngettext`` … in timebank/**.py and the templates) into
``timebank/translations/messages.pot``, adds each one the Chinese catalog lacks (with an empty translation), keeps
every entry it has — including the errors whose sentence is their class's docstring, which extraction does not see
(``pybabel update --ignore-obsolete`` would delete them) — writes it sorted, and lists what still needs Chinese.
Then translate those in ``zh_Hans_CN/LC_MESSAGES/messages.po`` and run
``.venv/bin/pybabel compile -d timebank/translations``. Exit status 1 while a message lacks Chinese.

Usage: .venv/bin/python scripts/update_translations.py
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "timebank" / "translations"
TEMPLATE = TRANSLATIONS / "messages.pot"
CHINESE = TRANSLATIONS / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"


def main() -> int:
    subprocess.run([str(Path(sys.executable).with_name("pybabel")), "-q", "extract", "-F", "babel.cfg", "-k", "_l",
                    "--no-location", "--sort-output", "-w", "120", "-o", str(TEMPLATE), "."], cwd=ROOT, check=True)
    with TEMPLATE.open("rb") as file:
        template = read_po(file)
    with CHINESE.open("rb") as file:
        chinese = read_po(file)
    added = 0
    for message in template:
        if message.id and message.id not in chinese:
            chinese.add(message.id, "" if not message.pluralizable else ("",) * chinese.num_plurals,
                        flags=message.flags, context=message.context)
            added += 1
    with CHINESE.open("wb") as file:
        write_po(file, chinese, width=120, sort_output=True, no_location=True)
    missing = [message.id for message in chinese if message.id and not any(
        message.string if isinstance(message.string, tuple) else (message.string,))]
    print(f"{added} new messages added to {CHINESE.relative_to(ROOT)}; {len(missing)} without Chinese:")
    for msgid in missing:
        print(f"  {msgid if isinstance(msgid, str) else msgid[0]!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
