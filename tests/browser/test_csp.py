"""Every main page runs under the Content-Security-Policy without a violation, and the
behaviours that were inline handlers (now web/telcost.js) still work."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from telcost.syncs.profiles import sync_profile_create
from tests.factories import (
    CostCenterAssignmentFactory,
    CostCenterFactory,
    CustomerFactory,
    DeviceFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs in every document before its own scripts (Playwright's init scripts are not subject
# to the CSP).
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " +
                    e.sourceFile + ":" + e.lineNumber);
});
"""


@pytest.fixture
def watched(page):
    """The page, recording CSP violations, the console's reports of them and script errors."""
    problems: list[str] = []
    page.add_init_script(RECORD_VIOLATIONS)
    page.on(
        "console",
        lambda msg: (
            problems.append(f"console: {msg.text}")
            if "Content Security Policy" in msg.text or "Refused to" in msg.text
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))

    def check(where: str) -> None:
        violations = page.evaluate("window.__csp || []")
        assert violations == [] and problems == [], (where, violations, problems)

    page.check_csp = check
    return page


def test_the_main_pages_run_without_csp_violations(watched, live_url, login, customer, staff_user):
    page = watched
    other = CustomerFactory(name="Beta BV")
    profile = sync_profile_create(
        customer=customer,
        name="Feed",
        provider="file_drop",
        settings={"path": "/tmp"},
        credentials={},
    )
    center = CostCenterFactory(customer=customer, code="SALES", name="Sales")
    CostCenterAssignmentFactory(
        device=DeviceFactory(customer=customer, msisdn="31611111111"),
        cost_center=center,
        valid_from=dt.date(2026, 1, 1),
    )
    page.goto(f"{live_url}/login/")
    page.check_csp("login")
    login(page, "staff")
    for path in (
        "/overview/",
        f"/customers/{customer.pk}/usage/",
        f"/customers/{customer.pk}/sync-profiles/?profile={profile.pk}",
        f"/customers/{customer.pk}/sync-profiles/new",
        f"/sync-profiles/{profile.pk}/edit",
        "/admin/syncs/recalculate-totals/",
        f"/admin/sim-cards/simacties/?customer_id={customer.pk}",
        "/admin/cost-centers/",
        f"/admin/cost-centers/{customer.pk}/",
        "/api/docs",
        "/django-admin/",
    ):
        page.goto(f"{live_url}{path}")
        page.wait_for_load_state("networkidle")
        page.check_csp(path)
    expect(page.locator("#swagger-ui, #content")).not_to_have_count(0)

    # The moved handlers: dialogs open and cancel, selects submit or navigate.
    page.goto(f"{live_url}/customers/{customer.pk}/sync-profiles/?profile={profile.pk}")
    page.click("#start-sync-button")
    expect(page.locator("dialog#start-sync-dialog")).to_be_visible()
    page.click("dialog#start-sync-dialog button[data-close-dialog]")
    expect(page.locator("dialog#start-sync-dialog")).to_be_hidden()

    page.goto(f"{live_url}/admin/cost-centers/{customer.pk}/")
    page.click("#export-open")
    expect(page.locator("dialog#export-dialog")).to_be_visible()
    page.click("dialog#export-dialog button[data-close-dialog]")
    expect(page.locator("dialog#export-dialog")).to_be_hidden()

    page.goto(f"{live_url}/admin/sim-cards/simacties/?customer_id={customer.pk}")
    page.select_option("#addon-customer", str(other.pk))
    page.wait_for_url(f"**/admin/sim-cards/simacties/?customer_id={other.pk}")

    page.goto(f"{live_url}/customers/{customer.pk}/usage/")
    page.select_option("#switch-customer-select", str(other.pk))
    expect(page.locator("#switch-customer-select")).to_have_value(str(other.pk))
    expect(page.locator("h1")).to_contain_text("Beta BV")
    page.check_csp("after the handlers")
