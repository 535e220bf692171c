"""The usage page and the partner overview in a real browser, in Dutch and English (issue 17
items 3-5): the month and the table's state live in the URL (a reload keeps them), sorting and
search show the rows the database says, every chart's data points are the trend API's, and money
reads "€ 7.482,31" in Dutch and "€7,482.31" in English, on the page and in the charts."""

import datetime as dt
import re

import pytest
from django.db.models import Sum
from playwright.sync_api import expect

from telcost.customers.models import Device
from telcost.usage.models import CDR
from telcost.usage.recalculation.services import recalculation_dispatch
from tests.browser.charts import chart_data
from tests.factories import CustomerFactory, DeviceFactory, MembershipFactory, UserFactory
from tests.usage.helpers import SEPT, add_cdr
from tests.web.finance_month import finance_month

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AUG = dt.date(2026, 8, 1)
MONEY = {"nl": "€ 7.482,31", "en": "€7,482.31"}
ROWS = "#devices-table tbody tr[data-msisdn]"


@pytest.fixture
def month(live_url, drain_jobs):
    """tests/web/finance_month's September (€ 7.482,3056) and an August of € 12,50."""
    month = finance_month(drain_jobs)
    phone = Device.objects.get(msisdn="31611111111")
    cdr = add_cdr(month.customer, phone, duration_s=60, provider_cost="12.5000")
    CDR.objects.filter(pk=cdr.pk).update(
        cycle_start=AUG, started_at=dt.datetime(2026, 8, 10, 12, tzinfo=dt.UTC)
    )
    recalculation_dispatch(customer=month.customer, cycle_start=AUG)
    drain_jobs()
    Device.objects.filter(pk=phone.pk).update(user_name="Carla de Vries")
    return month


def in_language(page, language: str) -> None:
    if language == "en":
        page.click("#language-switcher button[value=en]")
        expect(page.locator("html")).to_have_attribute("lang", "en")


def shown_rows(page) -> list[str]:
    return page.locator(ROWS).evaluate_all("rows => rows.map(r => r.dataset.msisdn)")


def database_order(customer, key) -> list[str]:
    totals = dict(
        CDR.objects.filter(customer=customer, cycle_start=SEPT)
        .values("device_id")
        .annotate(total=Sum("cost"))
        .values_list("device_id", "total")
    )
    devices = [d for d in Device.objects.filter(customer=customer) if d.pk in totals]
    return [d.msisdn for d in sorted(devices, key=lambda d: key(d, totals[d.pk]))]


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_month_is_in_the_url_and_survives_a_reload(page, live_url, login, month, language):
    login(page, "manager")
    in_language(page, language)
    page.goto(f"{live_url}/customers/{month.customer.pk}/usage/")
    expect(page.locator("#usage-box")).to_have_attribute("data-month", "2026-09")
    expect(page.locator("#total-cost")).to_have_text(MONEY[language])
    page.select_option("#month-select", "2026-08")
    page.wait_for_url(re.compile(r"\?month=2026-08$"))
    expect(page.locator("#usage-box")).to_have_attribute("data-month", "2026-08")
    expect(page.locator("#total-cost")).to_have_text("€ 12,50" if language == "nl" else "€12.50")
    page.reload()
    expect(page.locator("#month-select")).to_have_value("2026-08")
    expect(page.locator("#usage-box")).to_have_attribute("data-month", "2026-08")
    expect(page.locator("#total-cost")).to_have_text("€ 12,50" if language == "nl" else "€12.50")
    page.go_back()  # the pushed URL before it: September again
    expect(page.locator("#usage-box")).to_have_attribute("data-month", "2026-09")
    expect(page.locator("#total-cost")).to_have_text(MONEY[language])


@pytest.mark.parametrize("language", ["nl", "en"])
def test_sorting_paging_and_search_show_the_rows_the_database_says(
    page, live_url, login, month, language, drain_jobs
):
    customer = month.customer
    for i in range(55):  # 57 devices: two pages
        device = DeviceFactory(
            customer=customer,
            msisdn=f"3169{(i * 7919) % 100000:07d}",
            label=f"Toestel {(i * 37) % 55:02d}",
            activated_on=dt.date(2026, 1, 1),
        )
        add_cdr(customer, device, duration_s=60, provider_cost=f"{(i * 53) % 97}.{i:04d}")
    recalculation_dispatch(customer=customer, cycle_start=SEPT)
    drain_jobs()
    login(page, "viewer")
    in_language(page, language)
    page.goto(f"{live_url}/customers/{customer.pk}/usage/?month=2026-09")
    by_total = database_order(customer, lambda d, total: (-total, d.msisdn))
    assert len(by_total) == 57
    expect(page.locator(ROWS)).to_have_count(50)
    assert shown_rows(page) == by_total[:50]
    page.click("#devices-next")
    page.wait_for_url(re.compile(r"page=2"))
    expect(page.locator(ROWS)).to_have_count(7)
    assert shown_rows(page) == by_total[50:]

    by_label = database_order(customer, lambda d, total: (d.label.lower(), d.msisdn))
    page.click("a[data-sort-key=label]")
    page.wait_for_url(re.compile(r"sort=label"))
    expect(page.locator(ROWS).first).to_have_attribute("data-msisdn", by_label[0])
    assert shown_rows(page) == by_label[:50]  # a new sort starts on page 1
    page.click("a[data-sort-key=label]")  # again: descending
    page.wait_for_url(re.compile(r"sort=-label"))
    expect(page.locator(ROWS).first).to_have_attribute("data-msisdn", by_label[-1])
    assert shown_rows(page) == by_label[::-1][:50]

    # Search by user name (any case): the one device of Carla; the sort stays.
    page.fill("#device-q", "carla")
    page.wait_for_url(re.compile(r"q=carla"))
    expect(page.locator(ROWS)).to_have_count(1)
    assert shown_rows(page) == ["31611111111"]
    page.reload()  # the table's state is in the URL too
    expect(page.locator("#device-q")).to_have_value("carla")
    assert shown_rows(page) == ["31611111111"]
    assert "sort=-label" in page.url
    # By label and by cost center.
    page.fill("#device-q", "toestel 1")
    page.wait_for_url(re.compile(r"q=toestel"))
    wanted = [
        m for m in by_label[::-1] if "toestel 1" in Device.objects.get(msisdn=m).label.lower()
    ]
    expect(page.locator(ROWS)).to_have_count(len(wanted))
    assert shown_rows(page) == wanted
    page.fill("#device-q", "")
    page.select_option("#device-cost-center", "SALES")
    page.wait_for_url(re.compile(r"cost_center=SALES"))
    expect(page.locator(ROWS)).to_have_count(1)
    row = page.locator(ROWS).first
    expect(row).to_have_attribute("data-msisdn", "31611111111")
    expect(row).to_contain_text("Anna")
    expect(row).to_contain_text("Carla de Vries")
    expect(row).to_contain_text("Verkoop")
    phone = Device.objects.get(msisdn="31611111111")
    expect(row.locator("a").first).to_have_attribute("href", f"/devices/{phone.pk}/")
    row.locator("a").first.click()  # the device's own page
    page.wait_for_url(re.compile(rf"/devices/{phone.pk}/$"))
    assert page.locator("main").inner_text().count("31611111111") >= 1


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_charts_show_the_trend_apis_numbers(page, live_url, login, month, language):
    login(page, "viewer")
    in_language(page, language)
    customer = month.customer
    page.goto(f"{live_url}/customers/{customer.pk}/usage/?month=2026-09")
    trend = page.request.get(f"{live_url}/api/customers/{customer.pk}/trend?months=12").json()
    assert len(trend) == 12
    september = next(m for m in trend if m["month"] == "2026-09")
    assert september["total_cost"] == "7482.3056"

    stacked = chart_data(page, "trend-chart")
    assert len(stacked["labels"]) == 12
    assert stacked["datasets"] == [
        [m["by_type"][kind] for m in trend] for kind in ("voice", "sms", "data", "subscription")
    ]
    assert stacked["tick"] == MONEY[language]
    roaming = chart_data(page, "roaming-chart")
    assert roaming["datasets"] == [[m["roaming_cost"] for m in trend]]
    assert roaming["tick"] == MONEY[language]

    top = chart_data(page, "top-devices-chart")
    assert top["labels"] == ["Bert", "Anna"]  # 5000.0000, then 2482.3056
    assert top["datasets"] == [["5000.0000", "2482.3056"]]
    assert top["tick"] == MONEY[language]
    table = page.locator("#top-devices-table tbody tr")
    expect(table).to_have_count(2)
    expect(table.first).to_contain_text("Bert")
    expect(table.first).to_contain_text("€ 5.000,00" if language == "nl" else "€5,000.00")


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_partner_overview_for_its_manager(page, live_url, login, month, language):
    login(page, "reseller")
    in_language(page, language)
    page.goto(f"{live_url}/overview/")
    page.click(f"#partner-list a[href='/partners/{month.partner.pk}/overview/']")
    expect(page.locator("#partner-overview-table")).to_be_visible()
    page.select_option("#partner-month-select", "2026-09")
    page.wait_for_url(re.compile(r"month=2026-09"))
    row = page.locator(f"#partner-overview-table tr[data-customer-id='{month.customer.pk}']")
    expect(row).to_contain_text(MONEY[language])
    expect(row).to_contain_text("€ 12,50" if language == "nl" else "€12.50")  # August
    expect(row.locator("a")).to_have_attribute(
        "href", f"/customers/{month.customer.pk}/usage/?month=2026-09"
    )
    api = page.request.get(f"{live_url}/api/partners/{month.partner.pk}/overview?month=2026-09")
    rows = api.json()
    assert [r["name"] for r in rows] == ["Acme BV"]
    chart = chart_data(page, "partner-chart")
    assert chart["labels"] == ["Acme BV"]
    assert chart["datasets"] == [
        [r["previous_total_cost"] for r in rows],
        [r["total_cost"] for r in rows],
    ]
    assert chart["tick"] == MONEY[language]
    row.locator("a").click()
    expect(page.locator("#usage-box")).to_have_attribute("data-month", "2026-09")


def test_the_partner_overview_is_refused_to_a_viewer_of_another_partners_customer(
    page, live_url, login, month
):
    other = CustomerFactory(name="Elders BV", partner=CustomerFactory(name="Other partner"))
    MembershipFactory(user=UserFactory(username="elsewhere"), customer=other, role="viewer")
    login(page, "elsewhere")
    response = page.goto(f"{live_url}/partners/{month.partner.pk}/overview/")
    assert response.status == 404
    expect(page.locator("#partner-overview-table")).to_have_count(0)
    page.context.clear_cookies()
    login(page, "viewer")  # the partner's customer's viewer is no partner's viewer either
    response = page.goto(f"{live_url}/partners/{month.partner.pk}/overview/")
    assert response.status == 404
