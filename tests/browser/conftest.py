"""A real chromium (Debian's, driven by Playwright) against a live telcost server.

`live_url` is pytest-django's live server on the test database; combine it with
`start_worker` for pages that wait on jobs. Playwright's own browser download
cannot work here: Debian's /usr/bin/chromium is used (`make browser` installs it).
"""

import os
from pathlib import Path

import pytest

# Playwright's sync API keeps an event loop on the test thread; the ORM calls the
# tests make around it are still synchronous, so Django's guard is lifted here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail("chromium is missing at /usr/bin/chromium (make browser installs it)")
        pytest.skip("chromium is not installed (make browser installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(accept_downloads=True, locale="nl-NL")
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def live_url(live_server, transactional_db):
    return live_server.url


@pytest.fixture
def login(live_url):
    def do_login(page, username: str, password: str = "secret-pass-1") -> None:
        page.goto(f"{live_url}/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login/" not in url)

    return do_login
