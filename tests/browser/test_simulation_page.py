"""The rate-plan simulation page in a real browser: a manager starts one and follows it to its
result (a real worker runs the job), in Dutch then English, at 1366 and 390 px; a viewer reads
it without a form."""

import json

import pytest
from playwright.sync_api import expect

from telcost.jobs.models import Job
from tests.browser.charts import chart_data
from tests.factories import MembershipFactory, UserFactory
from tests.usage.cost_control.helpers import calculate, october, plan
from tests.usage.helpers import NO_BUNDLE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def month(live_url):
    """The hand-computed October (usage 0.98 + five fees of 12.50 = 63.48 on its own plan) and a
    plan "lean": no bundle, fee 2.00, SPEC's prices otherwise. On lean: A 0.15 + 0.25 + 0.08 +
    3072 KB billed 3100 KB (the boost of 1 MB, 1024 KB, still covers: 2076 KB × 0.02 / 1024 =
    0.0405) = 0.5205; B 0.08; D 0.15; E 0.25; usage 1.0005 + fees 10.00 = 11.0005: saving 52.4795.
    """
    made = october()
    calculate(made["customer"])
    plan("lean", "2.00", bundle=NO_BUNDLE)
    for name, role in (("datri-viewer", "viewer"), ("datri-manager", "manager")):
        MembershipFactory(user=UserFactory(username=name), customer=made["customer"], role=role)
    return made


def test_a_manager_simulates_and_a_viewer_reads_it(
    page, live_url, login, month, start_worker, tmp_path
):
    customer = month["customer"]
    start_worker()
    login(page, "datri-manager")
    page.goto(f"{live_url}/customers/{customer.pk}/usage/?month=2026-10")
    page.click("#customer-menu summary")
    page.click("#simulation-menu-link")
    expect(page.locator("h1")).to_contain_text("Tariefplansimulatie")
    # The latest calculated month is offered, and every plan (both here) is ticked.
    expect(page.locator("#simulation-month")).to_have_value("2026-10")
    expect(page.locator('#simulation-plans input[type="checkbox"]:checked')).to_have_count(2)
    page.screenshot(path=str(tmp_path / "simulation-form-nl.png"), full_page=True)
    page.click("#simulation-start")
    # The job is followed live, then its result replaces the page.
    page.wait_for_url("**/simulation/?job=*", timeout=60_000)
    expect(page.locator("#best-plan")).to_have_text("lean")
    expect(page.locator("#current-total")).to_have_text("€ 63,48")
    expect(page.locator("#best-total")).to_have_text("€ 11,00")
    expect(page.locator("#savings")).to_have_text("€ 52,48")
    expect(page.locator('#simulation-plans-table tr[data-code="lean"]')).to_contain_text("beste")
    rows = page.locator("#simulation-devices tbody tr")
    expect(rows).to_have_count(5)
    expect(rows.first).to_contain_text("31600000001")
    chart = json.loads(page.locator("#simulation-chart").text_content())
    assert chart["data"]["labels"][0] == "Nu"
    assert chart_data(page, "simulation-chart")["tick"] == "€ 7.482,31"
    page.screenshot(path=str(tmp_path / "simulation-result-nl.png"), full_page=True)
    page.click("#sort-saving")
    # B, C, D and E save 10.50 each (their fee), A only 13.00 − 2.5205 = 10.4795: last.
    expect(rows.first).to_contain_text("31600000002")
    expect(rows.last).to_contain_text("31600000001")
    page.click("#language-switcher button[value=en]")
    expect(page.locator("h1")).to_contain_text("Rate-plan simulation")
    expect(page.locator("#savings")).to_have_text("€52.48")
    page.screenshot(path=str(tmp_path / "simulation-result-en.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(tmp_path / "simulation-result-390.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    job = Job.objects.get(kind="plan_simulation")
    assert job.status == "completed"

    # A viewer reads the result, and has no form to start one.
    page.context.clear_cookies()
    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, "datri-viewer")
    page.goto(f"{live_url}/customers/{customer.pk}/simulation/")
    expect(page.locator("#best-plan")).to_have_text("lean")
    expect(page.locator("#simulation-form")).to_have_count(0)
    expect(page.locator("#simulation-history")).to_contain_text("oktober 2026")
    page.screenshot(path=str(tmp_path / "simulation-viewer-nl.png"), full_page=True)


def test_a_refusal_shows_in_the_form(page, live_url, login, month):
    login(page, "datri-manager")
    page.goto(f"{live_url}/customers/{month['customer'].pk}/simulation/")
    page.select_option("#simulation-month", "2026-09")
    page.click("#simulation-start")
    expect(page.locator("#simulation-error")).to_have_text(
        "2026-09 is nog niet berekend: herbereken de maand eerst"
    )
    page.uncheck("#plan-lean")
    page.uncheck(f"#plan-{month['customer'].rate_plan.code}")
    page.click("#simulation-start")
    expect(page.locator("#simulation-error")).to_have_text("Kies minstens één tariefplan.")
    assert not Job.objects.exists()
