import pytest
from playwright.sync_api import expect

from telcost.jobs.services import StepSpec, job_dispatch
from tests.factories import CustomerFactory, MembershipFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_log_in_use_the_menus_switch_customer_and_language(page, live_url, login):
    first = CustomerFactory(name="Alpha BV")
    second = CustomerFactory(name="Beta BV")
    user = UserFactory(username="anna")
    MembershipFactory(user=user, customer=first, role="manager")
    MembershipFactory(user=user, customer=second, role="viewer")
    login(page, "anna")
    expect(page.locator("h1")).to_have_text("Overzicht")
    page.click("#customer-menu summary")
    expect(page.locator("#customer-menu a", has_text="Verbruik")).to_have_attribute("href", f"/customers/{first.pk}/usage/")
    page.select_option("#switch-customer-select", str(second.pk))
    page.wait_for_load_state()
    page.click("#customer-menu summary")
    expect(page.locator("#customer-menu a", has_text="Verbruik")).to_have_attribute("href", f"/customers/{second.pk}/usage/")
    expect(page.locator("#admin-menu")).to_have_count(0)
    page.click("#language-switcher button")
    expect(page.locator("h1")).to_have_text("Overview")
    page.click("text=Log out")
    page.wait_for_url(f"{live_url}/login/")


def test_a_job_page_follows_the_job_live(page, live_url, login, customer, viewer, start_worker):
    job = job_dispatch(kind="probe", steps=[StepSpec("Probe", {"sleep_s": 1}), StepSpec("Probe")], customer=customer)
    login(page, "viewer")
    page.goto(f"{live_url}/jobs/{job.pk}/")
    expect(page.locator(".job-status")).to_have_attribute("data-status", "pending")
    start_worker()
    expect(page.locator(".job-status")).to_have_attribute("data-status", "completed", timeout=30_000)
    expect(page.locator(".job-steps li")).to_have_count(2)
