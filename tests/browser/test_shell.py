"""The shell in a real browser: log in, menus, the customer switcher, the language, a live job."""

import re

import pytest
from playwright.sync_api import expect

from telcost.jobs.diagnostics import PROBE_KIND
from telcost.jobs.services import StepSpec, job_dispatch
from tests.factories import CustomerFactory, MembershipFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_wrong_password_shows_an_error_and_the_right_one_logs_in(page, live_url, manager):
    page.goto(f"{live_url}/login/")
    expect(page.locator("h1")).to_have_text("Inloggen")
    page.fill("#id_username", "manager")
    page.fill("#id_password", "not-it")
    page.click("#login-submit")
    expect(page.locator("#login-error")).to_contain_text("komen niet overeen")
    page.fill("#id_password", "secret-pass-1")
    page.click("#login-submit")
    # One customer: home is that customer's usage page.
    expect(page).to_have_url(re.compile(r"/customers/\d+/usage/$"))
    expect(page.locator("#current-user")).to_have_text("manager")


def test_log_in_use_the_menus_switch_customer_and_language(page, live_url, login):
    first = CustomerFactory(name="Alpha BV")
    second = CustomerFactory(name="Beta BV")
    user = UserFactory(username="anna")
    MembershipFactory(user=user, customer=first, role="manager")
    MembershipFactory(user=user, customer=second, role="viewer")
    login(page, "anna")
    expect(page.locator("h1")).to_have_text("Overzicht")
    expect(page.locator("#admin-menu")).to_have_count(0)

    usage_link = page.locator("#customer-menu a", has_text="Verbruik")
    expect(usage_link).to_be_hidden()
    page.click("#customer-menu summary")
    expect(usage_link).to_be_visible()
    expect(usage_link).to_have_attribute("href", f"/customers/{first.pk}/usage/")
    page.click("h1")  # a click elsewhere closes the menu
    expect(usage_link).to_be_hidden()

    page.select_option("#switch-customer-select", str(second.pk))
    # The switch is remembered: home now opens the chosen customer's usage page.
    expect(page).to_have_url(f"{live_url}/customers/{second.pk}/usage/")
    expect(page.locator("#switch-customer-select")).to_have_value(str(second.pk))
    page.click("#customer-menu summary")
    page.click("#customer-menu a:has-text('Syncprofielen')")
    expect(page).to_have_url(f"{live_url}/customers/{second.pk}/sync-profiles/")

    page.goto(f"{live_url}/overview/")
    page.click("#language-switcher button[value=en]")
    expect(page.locator("h1")).to_have_text("Overview")
    expect(page.locator("#language-switcher button[value=en]")).to_have_attribute(
        "aria-pressed", "true"
    )
    page.click("#customer-menu summary")
    expect(page.locator("#customer-menu a", has_text="Usage")).to_have_attribute(
        "href", f"/customers/{second.pk}/usage/"
    )
    page.click("#language-switcher button[value=nl]")
    expect(page.locator("h1")).to_have_text("Overzicht")

    page.click("#logout-form button")
    expect(page).to_have_url(f"{live_url}/login/")
    page.goto(f"{live_url}/overview/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/overview/$"))


def test_staff_sees_the_admin_menu_and_reaches_its_pages(
    page, live_url, login, staff_user, customer
):
    login(page, "staff")
    page.goto(f"{live_url}/overview/")
    page.click("#admin-menu summary")
    page.click("#admin-menu a:has-text('Simacties')")
    # The current customer's (the menu passes it on).
    expect(page).to_have_url(
        re.compile(rf"{live_url}/admin/sim-cards/simacties/\?customer_id=\d+$")
    )
    page.click("#admin-menu summary")
    expect(page.locator("#admin-menu a:has-text('Totalen herberekenen')")).to_have_attribute(
        "href", "/admin/syncs/recalculate-totals/"
    )
    expect(page.locator("#admin-menu a:has-text('Kostenplaatsen')")).to_have_attribute(
        "href", "/admin/cost-centers/"
    )


def test_a_job_page_follows_the_job_live_and_stops_polling(
    page, live_url, login, customer, viewer, start_worker
):
    job = job_dispatch(
        kind=PROBE_KIND,
        steps=[StepSpec("Probe", {"sleep_s": 1}), StepSpec("Probe")],
        customer=customer,
    ).job
    login(page, "viewer")
    polls: list[str] = []
    page.on(
        "request",
        lambda request: (
            polls.append(request.url) if request.url.endswith(f"/jobs/{job.pk}/status") else None
        ),
    )
    page.goto(f"{live_url}/jobs/{job.pk}/")
    status = page.locator(".job-status")
    expect(status).to_have_attribute("data-status", "pending")
    expect(status.locator(".spinner")).to_be_visible()
    start_worker()
    expect(status).to_have_attribute("data-status", "completed", timeout=30_000)
    expect(page.locator(".job-steps li.step-succeeded")).to_have_count(2)
    expect(status.locator(".spinner")).to_have_count(0)
    expect(status.locator(".status-pill")).to_have_text("voltooid")
    assert polls, "the page never polled: it changed by reload?"
    # The completed fragment carries no trigger: the polling has stopped.
    settled = len(polls)
    page.wait_for_timeout(2_500)
    assert len(polls) == settled
