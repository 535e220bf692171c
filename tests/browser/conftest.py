"""A real chromium (Debian's, driven by Playwright) against a live telcost server.

For every browser test:

    pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

    def test_something(page, live_url, login, start_worker):
        login(page, "manager")                      # password defaults to "secret-pass-1"
        page.goto(f"{live_url}/customers/1/usage/")

- `browser`: one chromium for the session (Debian's /usr/bin/chromium; Playwright's
  own browser download cannot work here, `make browser` installs it). Missing
  chromium fails the tests under CI=true and skips them elsewhere.
- `page`: a fresh context (cookies, storage) per test, Dutch locale, 15 s default timeout.
  When a test fails, a screenshot of its page is saved (the path is printed).
- `live_url`: pytest-django's live server on the test database (SQLite file or
  PostgreSQL test database); it makes the test transactional. Combine with
  `start_worker` for pages that wait on jobs.
- `login(page, username, password="secret-pass-1")`: logs in through the login page.

Every test in this folder gets the `browser` mark (added here too, in case a test forgets it):
`pytest -m "not browser"` leaves them out.
"""

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Playwright's sync API keeps an event loop on the test thread; the ORM calls the
# tests make around it are still synchronous, so Django's guard is lifted here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
DEFAULT_TIMEOUT_MS = 15_000
PASSWORD = "secret-pass-1"
_HERE = Path(__file__).resolve().parent


def _on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        if _HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    # Remember each phase's outcome on the test, so `page` can tell a failure at teardown.
    report = yield
    setattr(item, f"telcost_report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if not CHROMIUM.exists():
        if _on_ci():
            pytest.fail(f"chromium is missing at {CHROMIUM} (make browser installs it)")
        pytest.skip(f"chromium is not installed at {CHROMIUM} (make browser installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


def _screenshot_dir() -> Path:
    base = Path(os.environ.get("TELCOST_VAR_DIR") or _HERE.parents[1] / "var")
    return base / "browser-failures"


@pytest.fixture
def page(browser, request) -> Iterator:
    context = browser.new_context(
        accept_downloads=True, locale="nl-NL", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    yield page
    report = getattr(request.node, "telcost_report_call", None)
    if report is not None and report.failed:
        folder = _screenshot_dir()
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{request.node.name[:120].replace('/', '_')}.png"
        try:
            page.screenshot(path=str(target), full_page=True)
            print(f"\nscreenshot of the failed page ({page.url}): {target}")
        except (
            Exception
        ) as error:  # a crashed page cannot be photographed; the failure itself matters
            print(f"\nno screenshot of the failed page: {error}")
    context.close()


@pytest.fixture
def live_url(live_server, transactional_db) -> str:
    return live_server.url


def log_in(page, live_url: str, username: str, password: str = PASSWORD) -> None:
    """Log in through the login page and wait until the browser has left it."""
    page.goto(f"{live_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("#login-submit")
    page.wait_for_url(lambda url: "/login/" not in url)


@pytest.fixture
def login(live_url) -> Callable[..., None]:
    """login(page, username, password="secret-pass-1")."""

    def do_login(page, username: str, password: str = PASSWORD) -> None:
        log_in(page, live_url, username, password)

    return do_login
