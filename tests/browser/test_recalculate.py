"""Workflows 1 and 6 through the pages, in a real chromium, with a real worker."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from telcost.usage.models import CDR
from tests.factories import CustomerFactory, DeviceFactory, MembershipFactory, UserFactory
from tests.usage.helpers import NO_BUNDLE, add_cdr, plan_with

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def datri(rated_customer):
    customer = rated_customer(plan_with(bundle=NO_BUNDLE, monthly_fee="0"), name="Datri")
    device = DeviceFactory(customer=customer, msisdn="31612345678")
    add_cdr(customer, device, duration_s=60)  # 0.15
    return customer


def test_herbereken_data_shows_a_spinner_then_the_new_totals(
    page, live_url, login, datri, start_worker
):
    user = UserFactory(username="boss")
    MembershipFactory(user=user, customer=datri, role="manager")
    login(page, "boss")
    page.goto(f"{live_url}/customers/{datri.pk}/usage/?month=2026-09")
    expect(page.locator("#no-totals")).to_be_visible()
    page.click("text=Herbereken data")
    expect(page.locator("#recalculate-dialog")).to_be_visible()
    page.select_option("#recalculate-month", "2026-09")
    page.click("#recalculate-submit")
    expect(page.locator(".recalc-running .spinner")).to_be_visible()
    start_worker()
    expect(page.locator("#total-cost")).to_have_text("€ 0,15", timeout=30_000)
    # A new record, a second recalculation: the page follows without a reload.
    add_cdr(datri, datri.devices.get(), duration_s=120)  # 0.05 + 0.20
    page.click("text=Herbereken data")
    page.click("#recalculate-submit")
    expect(page.locator("#total-cost")).to_have_text("€ 0,40", timeout=30_000)
    expect(page.locator("#totals-versions tbody tr")).to_have_count(2)
    page.click("#compare-form button")
    expect(page.locator(".versions-diff")).to_contain_text("€ 0,25")


def test_a_failed_recalculation_shows_its_reason(
    page, live_url, login, datri, start_worker, staff_user
):
    CDR.objects.update(zone="international")
    plan = datri.rate_plan.versions.get()  # the plan's one version
    del plan.definition["voice"]["per_minute"]["international"]
    plan.save()
    login(page, "staff")
    page.goto(f"{live_url}/customers/{datri.pk}/usage/?month=2026-09")
    page.click("text=Herbereken data")
    page.click("#recalculate-submit")
    start_worker()
    expect(page.locator(".recalc-failed")).to_contain_text(
        "voice in zone 'international'", timeout=30_000
    )


def test_admin_recalculates_one_customer_after_the_confirm_dialog(
    page, live_url, login, datri, start_worker, staff_user
):
    login(page, "staff")
    page.goto(f"{live_url}/admin/syncs/recalculate-totals/")
    page.select_option("#recalc-customer", str(datri.pk))
    page.fill("#recalc-start", "2026-09")
    page.fill("#recalc-end", "2026-09")
    page.click("#recalc-open-confirm")
    expect(page.locator("#confirm-dialog")).to_contain_text(
        "Weet u zeker dat u de totalen wilt herberekenen?"
    )
    expect(page.locator("#confirm-customer")).to_have_text("Datri")
    expect(page.locator("#confirm-dates")).to_have_text("september 2026")
    page.click("#confirm-agree")
    start_worker()
    expect(page.locator(".job-status")).to_have_attribute(
        "data-status", "completed", timeout=30_000
    )
    # Rating, totals, insights, status, backup, and the alerts' evaluation that ends every chain.
    expect(page.locator(".job-steps li")).to_have_count(6)
    expect(page.locator(".job-steps li").last).to_contain_text("Meldingen toetsen")


def test_partner_range_progress_bar_runs_to_the_end(page, live_url, login, start_worker):
    partner = CustomerFactory(name="Partner Telecom")
    for name in ("Kid A", "Kid B"):
        kid = CustomerFactory(name=name, partner=partner)
        add_cdr(kid, duration_s=30, at=dt.datetime(2026, 8, 3, tzinfo=dt.UTC))
    manager = UserFactory(username="reseller")
    MembershipFactory(user=manager, customer=partner, role="manager")
    login(page, "reseller")
    page.goto(f"{live_url}/admin/syncs/recalculate-totals/")
    expect(
        page.locator("#recalc-customer option", has_text="Partner Telecom (partner)")
    ).to_have_count(1)
    page.select_option("#recalc-customer", str(partner.pk))
    page.fill("#recalc-start", "2026-07")
    page.fill("#recalc-end", "2026-09")
    page.click("#recalc-open-confirm")
    expect(page.locator("#confirm-dates")).to_have_text("juli 2026 – september 2026")
    page.click("#confirm-agree")
    expect(page.locator(".job-progress-text")).to_have_text("0 / 6")
    expect(page.locator("#job-cancel")).to_be_visible()
    start_worker("a")
    start_worker("b")
    expect(page.locator(".job-status")).to_have_attribute(
        "data-status", "completed", timeout=60_000
    )
    expect(page.locator(".job-progress-text")).to_have_text("6 / 6")


def test_recalculating_another_month_offers_it_and_keeps_the_month_on_screen(
    page, live_url, login, datri, start_worker, staff_user
):
    add_cdr(datri, datri.devices.get(), duration_s=120, at=dt.datetime(2026, 8, 12, tzinfo=dt.UTC))
    CDR.objects.filter(started_at__month=8).update(cycle_start=dt.date(2026, 8, 1))
    login(page, "staff")
    page.goto(f"{live_url}/customers/{datri.pk}/usage/?month=2026-09")
    page.click("text=Herbereken data")
    expect(page.locator("#recalculate-month")).to_have_value(
        "2026-09"
    )  # the shown month by default
    page.click("#recalculate-submit")
    start_worker()
    expect(page.locator("#total-cost")).to_have_text("€ 0,15", timeout=30_000)
    page.click("text=Herbereken data")
    page.select_option("#recalculate-month", "2026-08")
    page.click("#recalculate-submit")
    link = page.locator(f'.recalc-done + p a[href="/customers/{datri.pk}/usage/?month=2026-08"]')
    expect(link).to_be_visible(timeout=30_000)
    expect(page.locator("#total-cost")).to_have_text("€ 0,15")  # still September's
    link.click()
    expect(page.locator("#total-cost")).to_have_text("€ 0,25")
