"""Languages and display preferences: Simplified Chinese by default, English second; a text size for older eyes.

The language switch is remembered in a cookie on this device. A signed-in person whose device has made no choice
yet gets the language stored on their user row (``User.locale``), so it follows them to a new phone. The text size is
a cookie only: it belongs to the device, not the person.
"""
from __future__ import annotations

from pathlib import Path

from flask import has_request_context, request
from flask_babel import Babel

from timebank.web.access import current_principal

# The value stored in the cookie and on the user row → the name shown in the switch (in its own language).
LANGUAGES = {"zh": "中文", "en": "English"}
DEFAULT_LANGUAGE = "zh"
# Each language's Babel locale and its HTML ``lang`` tag. Babel expands zh_CN to zh_Hans_CN, so the Chinese
# catalog lives in translations/zh_Hans_CN/.
BABEL_LOCALES = {"zh": "zh_CN", "en": "en"}
HTML_LANGS = {"zh": "zh-CN", "en": "en"}
LANGUAGE_COOKIE = "tb_lang"

TEXT_SIZES = (100, 125, 150)
TEXT_SIZE_COOKIE = "tb_text"

PREFERENCE_COOKIE_AGE = 365 * 24 * 3600

babel = Babel()


def init_app(app) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", BABEL_LOCALES[DEFAULT_LANGUAGE])
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", app.config.get("TIMEZONE") or "Asia/Shanghai")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(Path(__file__).resolve().parent.parent / "translations"))
    babel.init_app(app, locale_selector=select_language)

    @app.context_processor
    def _preferences():
        return {
            "current_language": current_language(),
            "html_lang": html_lang(),
            "languages": LANGUAGES,
            "text_size": current_text_size(),
            "text_sizes": TEXT_SIZES,
        }


# What a command line or a job says: no reader has chosen, and operators read the logs in English.
OUTSIDE_REQUESTS = "en"
API_PATH_PREFIX = "/api/"


def select_language() -> str:
    """Babel's locale for this request (Flask-Babel's locale selector)."""
    if not has_request_context():
        return BABEL_LOCALES[OUTSIDE_REQUESTS]
    return BABEL_LOCALES[current_language()]


def current_language() -> str:
    """The API's caller: their ``Accept-Language``. A page: this device's choice (the switch sets it), else the
    signed-in user's stored language. Chinese for anyone without a supported preference."""
    if request.path.startswith(API_PATH_PREFIX):
        return accepted_language(request.headers.get("Accept-Language"))
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    principal = current_principal()
    if principal is not None and principal.locale in LANGUAGES:
        return principal.locale
    return DEFAULT_LANGUAGE


def accepted_language(header: str | None) -> str:
    """The first supported language of an ``Accept-Language`` header, by quality (``zh-CN`` → zh, ``en-GB`` → en);
    Chinese when it names none of ours."""
    if not header:
        return DEFAULT_LANGUAGE
    preferences = []
    for position, part in enumerate(header.split(",")):
        tag, _, options = part.strip().partition(";")
        quality = 1.0
        for option in options.split(";"):
            name, _, value = option.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            preferences.append((-quality, position, primary))
    return min(preferences)[2] if preferences else DEFAULT_LANGUAGE


def html_lang() -> str:
    """The ``lang`` attribute of the page (a BCP 47 tag)."""
    return HTML_LANGS[current_language()]


def current_text_size() -> int:
    try:
        size = int(request.cookies.get(TEXT_SIZE_COOKIE, "100"))
    except ValueError:
        return 100
    return size if size in TEXT_SIZES else 100


def remember(response, cookie: str, value: str):
    """Keep a display preference on this device for a year (not a secret: readable, same-site only)."""
    response.set_cookie(cookie, value, max_age=PREFERENCE_COOKIE_AGE, samesite="Lax", httponly=True,
                        secure=request.is_secure)
    return response
