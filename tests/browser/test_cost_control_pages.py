"""Reconciliation and chargeback pages (and the usage page's cost per cost center section) in Dutch
and English, for the roles that may read them, refused to others."""

import io
import json

import openpyxl
import pytest
from playwright.sync_api import expect

from telcost.usage.billing.chargeback import chargeback_get
from tests.browser.charts import chart_data
from tests.factories import CustomerFactory, MembershipFactory, UserFactory
from tests.usage.cost_control.helpers import OCT, calculate, cdr, local, october

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def month(live_url):
    made = october()
    calculate(made["customer"])
    viewer = UserFactory(username="datri-viewer")
    MembershipFactory(user=viewer, customer=made["customer"], role="viewer")
    manager = UserFactory(username="datri-manager")
    MembershipFactory(user=manager, customer=made["customer"], role="manager")
    return made


def test_reconciliation_in_dutch_then_english(page, live_url, login, month, tmp_path):
    customer = month["customer"]
    login(page, "datri-viewer")
    page.goto(f"{live_url}/customers/{customer.pk}/reconciliation/?month=2026-10")
    expect(page.locator("h1")).to_contain_text("Controle providerfactuur")
    expect(page.locator("#provider-total")).to_have_text("€ 1,23")
    expect(page.locator("#overcharged-total")).to_have_text("€ 0,28")
    expect(page.locator("#overcharged-records")).to_have_text("3")
    rows = page.locator("#reconciliation-devices tbody tr")
    expect(rows.first).to_contain_text("31600000004")
    assert [rows.nth(i).locator("td").first.inner_text() for i in range(4)] == [
        "31600000004",
        "31600000001",
        "31600000002",
        "31600000005",
    ]
    # A viewer may read, not export.
    expect(page.locator("#export-reconciliation")).to_have_count(0)
    page.screenshot(path=str(tmp_path / "reconciliation-nl.png"), full_page=True)
    page.click("#language-switcher button[value=en]")
    expect(page.locator("h1")).to_contain_text("Reconciliation")
    expect(page.locator("#difference")).to_have_text("€0.25")
    page.click("#sort-msisdn")
    expect(rows.first).to_contain_text("31600000001")
    page.click("#sort-provider")
    expect(rows.first).to_contain_text("31600000001")  # 0.60
    expect(rows.nth(1)).to_contain_text("31600000004")  # 0.30
    page.click("#sort-difference")
    expect(rows.first).to_contain_text("31600000004")
    page.fill("#device-q", "0001")
    page.click("#device-search button")
    expect(page.locator("#reconciliation-devices tbody tr")).to_have_count(1)


def test_reconciliation_pages_past_fifty_devices(page, live_url, login, month):
    customer = month["customer"]
    from tests.factories import DeviceFactory

    for number in range(55):
        device = DeviceFactory(customer=customer, msisdn=f"3169{number:07d}")
        cdr(customer, device, local(2026, 10, 3, 9, number), "sms", "0.0800")
    calculate(customer)
    login(page, "datri-viewer")
    page.goto(f"{live_url}/customers/{customer.pk}/reconciliation/?month=2026-10")
    expect(page.locator("#reconciliation-devices tbody tr")).to_have_count(50)
    page.click("#reconciliation-next")
    expect(page.locator("#reconciliation-devices tbody tr")).to_have_count(9)


def test_a_manager_exports_the_reconciliation(page, live_url, login, month, start_worker):
    start_worker()
    login(page, "datri-manager")
    page.goto(f"{live_url}/customers/{month['customer'].pk}/reconciliation/?month=2026-10")
    with page.expect_download(timeout=30_000) as download_info:
        page.click("#export-reconciliation")
    content = download_info.value.path().read_bytes()
    rows = list(openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert rows[0][7:] == ("Kosten provider", "Kosten contract", "Verschil") and len(rows) == 4


def test_chargeback_page_and_usage_section_in_dutch_then_english(
    page, live_url, login, month, tmp_path
):
    customer = month["customer"]
    api = chargeback_get(customer=customer, cycle_start=OCT)
    login(page, "datri-viewer")
    page.goto(f"{live_url}/customers/{customer.pk}/chargeback/?month=2026-10")
    expect(page.locator("h1")).to_contain_text("Doorbelasting")
    # The customer menu leads to both pages (reconciliation: a rate-plan customer's only).
    expect(page.locator("#chargeback-menu-link")).to_have_count(1)
    expect(page.locator("#reconciliation-menu-link")).to_have_count(1)
    expect(page.locator("#chargeback-total")).to_have_text("€ 63,48")
    expect(page.locator('tr[data-code="OPS"]')).to_contain_text("€ 25,33")
    expect(page.locator("#chargeback-unassigned")).to_contain_text("Zonder kostenplaats")
    chart = json.loads(page.locator("#chargeback-chart").text_content())
    rows = [*api["cost_centers"], api["unassigned"]]
    assert chart["data"]["labels"] == ["IDLE", "OPS", "SALES", "Zonder kostenplaats"]
    assert [d["data"] for d in chart["data"]["datasets"]] == [
        [row["by_type"]["voice"] for row in rows],
        [row["by_type"]["sms"] for row in rows],
        [row["by_type"]["data"] for row in rows],
        [row["subscription_cost"] for row in rows],
    ]
    # And drawn: the page loads the chart library, not only the chart's data.
    drawn = chart_data(page, "chargeback-chart")
    assert drawn["labels"] == chart["data"]["labels"]
    assert drawn["datasets"] == [d["data"] for d in chart["data"]["datasets"]]
    assert drawn["tick"] == "€ 7.482,31"  # the value axis in euros, as the page writes money
    page.screenshot(path=str(tmp_path / "chargeback-nl.png"), full_page=True)
    page.goto(f"{live_url}/customers/{customer.pk}/usage/?month=2026-10")
    section = page.locator("#cost-centers-section")
    expect(section).to_contain_text("Kosten per kostenplaats")
    expect(section.locator("#chargeback-total")).to_have_text("€ 63,48")
    section_chart = json.loads(page.locator("#cost-centers-chart").text_content())
    assert section_chart["data"]["datasets"] == chart["data"]["datasets"]
    page.click("#language-switcher button[value=en]")
    expect(section).to_contain_text("Cost per cost center")
    expect(section.locator("#chargeback-total")).to_have_text("€63.48")
    section.locator("#chargeback-link").click()
    expect(page.locator("h1")).to_contain_text("Chargeback")
    expect(page.locator("#chargeback-unassigned")).to_contain_text("Unassigned")


def test_pages_are_refused_to_another_customers_user(page, live_url, login, month):
    outsider = UserFactory(username="outsider")
    own = CustomerFactory()
    MembershipFactory(user=outsider, customer=own, role="manager")
    login(page, "outsider")
    page.goto(f"{live_url}/customers/{own.pk}/reconciliation/?month=2026-10")
    expect(page.locator("#no-contract")).to_contain_text("betaalt de prijzen van de provider")
    expect(page.locator("#reconciliation-menu-link")).to_have_count(0)  # a standard customer's
    for path in ("reconciliation", "chargeback"):
        response = page.goto(f"{live_url}/customers/{month['customer'].pk}/{path}/?month=2026-10")
        assert response.status == 404
