"""Browser tests: the app served for real (a werkzeug server in a thread) on a fresh database, driven by Debian's
headless Chromium through Playwright, and scanned with axe-core from npm.

Nothing is downloaded here: ``scripts/install-test-tools.sh`` (run by ``scripts/setup.sh --test``) installs
``/usr/bin/chromium``, a CJK font and ``node_modules/axe-core``. Without them these tests fail in CI and are skipped
elsewhere, with the reason.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import IN_CI, Login

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("TIMEBANK_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts"

ADMIN_PASSWORD = "harbor-lantern-77"
EXTRA_VOLUNTEERS = 25

# Pages run on SQLite: storage is tested on both backends by tests/integration and tests/e2e, which is where a
# backend's difference shows; a browser test repeated on PostgreSQL re-ran Chromium for nothing but minutes of CI.
# One sign-in-to-registration flow (test_pages_flow.py) still runs on both, through ``both_databases``.
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
both_databases = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture(params=["sqlite"])
def database_url(request):
    """The browser tests' fresh database: SQLite unless a test asks for ``both_databases``."""
    return request.getfixturevalue("pg_url" if request.param == "postgresql" else "sqlite_url")


def _missing(what: str):
    message = f"{what} (run scripts/setup.sh --test, which runs scripts/install-test-tools.sh)"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run; each test gets its own context (cookies, viewport)."""
    if not CHROMIUM.exists():
        _missing(f"{CHROMIUM} is not installed")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is not installed")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        _missing(f"{AXE.relative_to(ROOT)} is missing")
    return AXE.read_text(encoding="utf-8")


@dataclass
class LiveServer:
    url: str
    app: object

    def at(self, path: str) -> str:
        return self.url + path


@pytest.fixture
def live_server(app):
    """The app (a fresh database: see ``database_url`` above) answering real HTTP on 127.0.0.1."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def city(app, make_user):
    """A small city: two centers, an admin, a staff member, a supervisor and a volunteer with a sign-in."""
    from timebank.auth.access import Principal
    from timebank.centers.services import create_center
    from timebank.db import get_db
    from timebank.users.services import create_user
    from timebank.volunteers.services import create_volunteer

    db, system = get_db(app), Principal.system("test")
    create_center(db, actor=system, code="JK01", name="大市口街道养老服务中心", district="京口区")
    create_center(db, actor=system, code="RZ02", name="金山街道养老服务中心", district="润州区")
    # More volunteers than a page of a list holds (20), so every browser test sees a pager (issue 6, bug 1).
    for number in range(EXTRA_VOLUNTEERS):
        create_volunteer(db, actor=system, name=f"{'赵钱孙李周吴郑'[number % 7]}{'建国桂英秀兰'[number % 6]}",
                         phone=f"1370000{number:04d}", home_center="RZ02")
    volunteer = create_volunteer(db, actor=system, name="王秀英", phone="13805291234", home_center="JK01")
    # Created here rather than with make_user: a volunteer's sign-in carries their name, as the users page makes it.
    volunteer_user = create_user(db, actor=system, username="wang.xiuying", password=ADMIN_PASSWORD,
                                          role="volunteer", volunteer_id=volunteer.id, display_name="王秀英")
    return City(
        admin=make_user("admin", username="city-admin", password=ADMIN_PASSWORD),
        staff=make_user("staff", center="JK01", username="staff-jk01", password=ADMIN_PASSWORD),
        supervisor=make_user("supervisor", supervised_centers=("JK01", "RZ02"), username="supervisor-li",
                             password=ADMIN_PASSWORD),
        volunteer=Login(username=volunteer_user.username, password=ADMIN_PASSWORD, user_id=volunteer_user.id,
                        role="volunteer", volunteer_id=volunteer.id),
    )


@dataclass(frozen=True)
class City:
    admin: object
    staff: object
    supervisor: object
    volunteer: object


@pytest.fixture(scope="session", autouse=True)
def _patient_assertions():
    """Give pages time on a busy CI machine: a page that answers in 10 s is slow, not wrong."""
    from playwright.sync_api import expect

    expect.set_options(timeout=10_000)


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def page(context):
    return context.new_page()


def sign_in(page, server: LiveServer, login, password: str | None = None) -> None:
    """Sign in through the form (the labels are found in either language)."""
    page.goto(server.at("/sign-in"))
    page.locator("#f-username").fill(login.username)
    page.locator("#f-password").fill(password or login.password)
    page.locator("form.panel button[type=submit]").click()
    page.wait_for_load_state()


def sign_out(page) -> None:
    page.locator("form.sign-out button").click()
    page.wait_for_load_state()
