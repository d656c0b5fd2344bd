"""Every word the pages show is translatable and translated: the Chinese catalog covers every message in the code."""
from __future__ import annotations

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from tests.browser.conftest import ROOT

CATALOG = ROOT / "timebank" / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def messages_in_the_code() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT / "timebank"), METHODS, keywords=KEYWORDS, options_map={"**/templates/**.html": {}}):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_message_of_the_pages_has_a_chinese_translation():
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle)
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(messages_in_the_code() - translated)
    assert missing == [], ("run pybabel extract/update (see README) and translate: " + repr(missing))
