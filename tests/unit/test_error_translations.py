"""Every error and every message that replaces one of marshmallow's has its Chinese, in the compiled catalog.

An error's sentence is a lazy translation written where the error is defined; a sentence without a Chinese
translation would reach a Chinese reader in English. These tests walk every ``DomainError`` subclass, every message
``timebank.schemas`` puts in place of marshmallow's, and every translatable string in the code and templates.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from flask import Flask
from flask_babel import force_locale

import timebank
from timebank.errors import DomainError, is_translatable
from timebank.schemas import overridden_messages
from timebank.web import i18n

# Every module that defines errors, so that walking the subclasses finds them all.
import timebank.auth.services  # noqa: F401,E402
import timebank.ledger.errors  # noqa: F401,E402
import timebank.models  # noqa: F401,E402
import timebank.receipts.keys  # noqa: F401,E402
import timebank.receipts.links  # noqa: F401,E402
import timebank.receipts.services  # noqa: F401,E402
import timebank.service_types.services  # noqa: F401,E402
import timebank.users.services  # noqa: F401,E402
import timebank.volunteers.csv_import  # noqa: F401,E402

PACKAGE = Path(timebank.__file__).resolve().parent


@pytest.fixture(scope="module")
def app():
    app = Flask(__name__)
    i18n.init_app(app)
    with app.app_context():
        yield app


def every_error_class():
    found, pending = [], [DomainError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    # Errors the tests define for themselves (a test-only refusal) are not the product's words.
    return sorted({cls for cls in found if not cls.__module__.startswith("tests.")},
                  key=lambda cls: (cls.__module__, cls.__name__))


def msgid(message) -> str:
    assert is_translatable(message), f"{message!r} is not a lazy translation"
    return message._args[0]


def chinese(app, text: str) -> str:
    from flask_babel import gettext

    with app.test_request_context("/api/v1/", headers={"Accept-Language": "zh-CN"}), force_locale("zh_CN"):
        return gettext(text)


def test_the_walk_finds_the_errors_of_every_feature():
    names = {cls.__name__ for cls in every_error_class()}
    assert {"NotFound", "ValidationFailed", "Forbidden", "LastAdmin", "InsufficientCredits", "SignInFailed",
            "CenterNotFound", "VolunteerNotFound", "SigningKeyUnavailable", "ReceiptNotFound", "AlreadyRedeemed",
            "AlreadyReversed", "AlreadyCancelled", "AlreadyRevoked", "PublicUrlUnsuitable"} <= names


@pytest.mark.parametrize("error", every_error_class(), ids=lambda cls: f"{cls.__module__}.{cls.__name__}")
def test_every_error_has_a_code_and_a_chinese_sentence(app, error):
    assert error.code and error.code.islower() and " " not in error.code
    text = msgid(error.message)
    assert chinese(app, text) != text, f"{error.__name__}: no Chinese for {text!r}"


@pytest.mark.parametrize("message", overridden_messages(), ids=lambda m: m._args[0][:40])
def test_every_message_that_replaces_one_of_marshmallows_has_its_chinese(app, message):
    text = msgid(message)
    assert chinese(app, text) != text, f"no Chinese for {text!r}"


def test_every_translatable_string_in_the_code_and_templates_has_its_chinese(app):
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    missing, seen = [], 0
    for filename, _lineno, message, _comments, _context in extract_from_dir(
            str(PACKAGE), method_map, keywords={"_l": None, "_": None, "gettext": None, "lazy_gettext": None}):
        texts = message if isinstance(message, tuple) else (message,)
        for text in texts:
            seen += 1
            if text and chinese(app, text) == text and not _has_no_words(text):
                missing.append(f"{filename}: {text!r}")
    assert seen > 300  # the walk reads the code and the templates
    assert missing == [], "add these to translations/zh_Hans_CN (and en), then pybabel compile:\n" + "\n".join(missing)


def _has_no_words(text: str) -> bool:
    """``%(value)s: %(problem)s`` and the like read the same in every language."""
    import re

    return not re.sub(r"%\(\w+\)s|\{\w+\}|[\W\d_]", "", text)


def test_every_schema_of_the_app_derives_from_the_base_that_speaks_our_language():
    import marshmallow

    import timebank.audit.schemas  # noqa: F401
    import timebank.auth.schemas  # noqa: F401
    import timebank.centers.schemas  # noqa: F401
    import timebank.receipts.schemas  # noqa: F401
    import timebank.service_types.schemas  # noqa: F401
    import timebank.users.schemas  # noqa: F401
    import timebank.volunteers.schemas  # noqa: F401
    from timebank.schemas import Schema

    def walk(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from walk(sub)

    # (timebank.api's own schemas describe the error shape for the OpenAPI document; they never load a request.)
    ours = [cls for cls in walk(marshmallow.Schema)
            if cls.__module__.startswith("timebank.") and not cls.__module__.startswith("timebank.api")]
    assert len(ours) > 20
    assert [cls.__qualname__ for cls in ours if not issubclass(cls, Schema)] == []
