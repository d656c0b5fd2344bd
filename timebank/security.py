"""Security headers on every response, and the cookie flags.

The Content-Security-Policy allows no inline script or style anywhere: pages load their scripts and styles from the
app's own static files. Cookies are HttpOnly and SameSite=Lax always, and Secure whenever the request came over HTTPS
(or the service's public address is HTTPS). Behind a reverse proxy set ``TIMEBANK_TRUSTED_PROXIES`` to the number of
proxies in front of the app, so the client's address (sign-in throttling, audit) and scheme (Secure cookies) are the
real ones and not the proxy's.
"""
from __future__ import annotations

import re

from flask import has_request_context, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from timebank.paging import MAX_ID

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
))

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}

HSTS = "max-age=31536000"

def digits_up_to(bound: int) -> str:
    """A regular expression for the decimal numbers from 0 to ``bound``: shorter ones, or as long and not larger."""
    text = str(bound)
    longest = [text] + [f"{text[:i]}[0-{int(text[i]) - 1}]\\d{{{len(text) - i - 1}}}"
                        for i in range(len(text)) if text[i] != "0"]
    return f"(?:\\d{{1,{len(text) - 1}}}|{'|'.join(longest)})" if len(text) > 1 else f"[0-{text}]"


class DatabaseId(IntegerConverter):
    """``<int:…>`` in every URL: a number past the database's integer range matches no route (404), instead of
    reaching a query and failing there with an overflow (500). The bound is in the pattern itself: Werkzeug picks a
    rule by pattern and method before it converts, so a bound checked only in ``to_python`` would make
    ``PATCH /centers/<too large>`` a 405 (the GET rule matched the pattern) instead of a 404."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=MAX_ID if max is None else max, signed=signed)
        if not fixed_digits and not signed:
            self.regex = digits_up_to(self.max)


def init_app(app) -> None:
    # Before any blueprint with ``<int:…>`` routes is registered: rules pick their converter when they are added.
    app.url_map.converters["int"] = DatabaseId

    public_url = app.config.get("PUBLIC_URL") or ""
    if public_url.lower().startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True
    app.config["REMEMBER_COOKIE_SAMESITE"] = "Lax"

    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies)

    app.session_interface = SessionInterface()
    app.after_request(add_security_headers)


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, Secure on every HTTPS request (Flask saves the session after the
    ``after_request`` hooks, so the session cookie gets its flag here rather than in ``add_security_headers``).

    Requests under a path given to ``without_cookie_session`` (the API, which knows its caller by the bearer token
    alone) never read the session cookie, verify its signature or write it: their session is empty and never saved,
    so nothing a page keeps in its session can leak into an API request or be overwritten by one."""

    def __init__(self):
        self.stateless_prefixes: tuple[str, ...] = ()
        self.stateless_patterns: tuple[re.Pattern, ...] = ()

    def get_cookie_secure(self, app) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or (has_request_context() and request.is_secure))

    def open_session(self, app, request):
        if self.stateless_prefixes and request.path.startswith(self.stateless_prefixes):
            return NoCookieSession()
        if any(pattern.fullmatch(request.path) for pattern in self.stateless_patterns):
            return NoCookieSession()
        return super().open_session(app, request)

    def save_session(self, app, session, response) -> None:
        if isinstance(session, NoCookieSession):
            return
        super().save_session(app, session, response)


class NoCookieSession(SecureCookieSession):
    """The session of a request that does not use the session cookie: empty, and never saved."""


def without_cookie_session(app, path_prefix: str) -> None:
    """Requests whose path starts with ``path_prefix`` neither read nor write the session cookie."""
    interface = app.session_interface
    interface.stateless_prefixes = (*interface.stateless_prefixes, path_prefix)


def without_cookie_session_matching(app, path_pattern: str) -> None:
    """Requests whose whole path matches ``path_pattern`` (a regular expression) neither read nor write the session
    cookie (the session is opened before the URL is matched to a view, so it is chosen by the path)."""
    interface = app.session_interface
    interface.stateless_patterns = (*interface.stateless_patterns, re.compile(path_pattern))


def uses_cookie_session() -> bool:
    """Whether this request reads the session cookie (a page does; the API does not, see ``SessionInterface``)."""
    return not isinstance(session._get_current_object(), NoCookieSession)


def add_security_headers(response):
    for name, value in HEADERS.items():
        response.headers[name] = value
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
        _make_cookies_secure(response)
    return response


def _make_cookies_secure(response) -> None:
    """Over HTTPS every cookie is Secure, whatever set it (session, language, text size)."""
    cookies = response.headers.getlist("Set-Cookie")
    if not cookies or all(_has_secure(c) for c in cookies):
        return
    response.headers.remove("Set-Cookie")
    for cookie in cookies:
        response.headers.add("Set-Cookie", cookie if _has_secure(cookie) else f"{cookie}; Secure")


def _has_secure(cookie: str) -> bool:
    return any(part.strip().lower() == "secure" for part in cookie.split(";")[1:])
