"""Customer menu → Devices: staff run the inventory (add, edit, deactivate, import, export), a
manager edits labels and user names, a viewer only reads, another customer's user finds nothing;
in Dutch and English."""

import datetime as dt
import io

import openpyxl
import pytest
from playwright.sync_api import expect

from telcost.customers.models import Device
from tests.factories import (
    CostCenterAssignmentFactory,
    CostCenterFactory,
    CustomerFactory,
    DeviceFactory,
    MembershipFactory,
    UserFactory,
)
from tests.usage.helpers import add_cdr

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def fleet(customer):
    ops = CostCenterFactory(customer=customer, code="OPS", name="Operations")
    anna = DeviceFactory(
        customer=customer, msisdn="31611111111", label="Zeta phone", user_name="Anna"
    )
    bert = DeviceFactory(customer=customer, msisdn="31622222222", label="Alpha", user_name="Bert")
    DeviceFactory(
        customer=customer,
        msisdn="31633333333",
        label="Old",
        activated_on=dt.date(2024, 1, 1),
        deactivated_on=dt.date(2026, 3, 1),
    )
    CostCenterAssignmentFactory(device=anna, cost_center=ops, valid_from=dt.date(2026, 1, 1))
    add_cdr(
        customer,
        anna,
        duration_s=61,
        at=dt.datetime(2026, 9, 3, 10, tzinfo=dt.UTC),
        provider_cost="7482.3100",
    )
    return {"customer": customer, "anna": anna, "bert": bert}


def rows(page):
    return page.locator("#device-table tbody tr.device-row")


def english(page):
    page.click("#language-switcher button[value=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_staff_search_sort_add_edit_and_deactivate_in_dutch(
    page, live_url, login, fleet, staff_user
):
    customer = fleet["customer"]
    login(page, "staff")
    page.goto(f"{live_url}/customers/{customer.pk}/usage/")
    page.locator("#customer-menu summary").click()
    expect(page.locator("#devices-link")).to_have_text("Toestellen")
    page.click("#devices-link")
    expect(page.locator("h1")).to_contain_text("Toestellen")
    expect(rows(page)).to_have_count(3)
    expect(rows(page).first.locator(".device-cost-center")).to_contain_text("OPS")
    expect(rows(page).nth(2).locator(".device-status")).to_contain_text("inactief")
    # Sort by label (a header link), then the other way.
    page.click("a.sort-link[data-sort=label]")
    expect(rows(page).first).to_have_attribute("data-msisdn", "31622222222")
    page.click("a.sort-link[data-sort=label]")
    expect(rows(page).first).to_have_attribute("data-msisdn", "31611111111")
    # Search as one types, and the status filter.
    page.fill("#device-search", "bert")
    expect(rows(page)).to_have_count(1)
    page.fill("#device-search", "")
    page.select_option("#device-status", "inactive")
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_have_attribute("data-msisdn", "31633333333")
    # September's cost in Dutch money.
    page.goto(f"{live_url}/customers/{customer.pk}/devices/?month=2026-09&sort=-cost")
    expect(rows(page).first.locator(".device-cost")).to_have_text("€ 7.482,31")
    # Add a device: a taken msisdn is refused in words, then a new one opens its page.
    page.locator("#device-add summary").click()
    page.fill("#add-msisdn", "31622222222")
    page.fill("#add-activated-on", "2026-11-01")
    page.click("#device-add-submit")
    expect(page.locator("#device-add-error")).to_have_text("dit MSISDN is al een toestel")
    page.fill("#add-msisdn", "31644444444")
    page.fill("#add-label", "Nieuwe telefoon")
    page.click("#device-add-submit")
    page.wait_for_url(f"{live_url}/devices/*/")
    expect(page.locator("h1")).to_contain_text("31644444444")
    # Staff edit every field.
    page.locator("#device-edit summary").click()
    page.fill("#edit-iccid", "8931000000000000044")
    page.fill("#edit-user-name", "Dirk")
    page.click("#device-save")
    expect(page.locator("#device-iccid")).to_have_text("8931000000000000044")
    expect(page.locator("#device-user")).to_have_text("Dirk")
    page.locator("#device-edit summary").click()
    page.fill("#edit-iccid", "abc")
    page.click("#device-save")
    expect(page.locator("#device-error")).to_have_text("ICCID: alleen cijfers")
    page.click("#device-deactivate")
    expect(page.locator("#device-status")).to_have_text("inactief")
    assert Device.objects.get(msisdn="31644444444").deactivated_on is not None


def test_staff_import_and_export_through_the_worker(
    page, live_url, login, fleet, staff_user, start_worker, tmp_path
):
    customer = fleet["customer"]
    start_worker()
    login(page, "staff")
    page.goto(f"{live_url}/customers/{customer.pk}/devices/")
    page.click("#device-import-link")
    csv_file = tmp_path / "toestellen.csv"
    csv_file.write_text(
        "msisdn,iccid,label,user_name,cost_center_code,activated_on,deactivated_on\n"
        "31611111111,,Baas,,OPS,,\n"
        "31655555555,,Nieuw,,NOPE,2026-10-01,\n"
        "31666666666,,Tablet,Eva,,2026-10-01,\n"
    )
    page.set_input_files("#device-import-file", str(csv_file))
    page.click("#device-import-submit")
    expect(page.locator("#device-import-result")).to_be_visible(timeout=30_000)
    expect(page.locator("#import-created")).to_have_text("1")
    expect(page.locator("#import-updated")).to_have_text("1")
    expect(page.locator("#import-rejected")).to_have_text("1")
    error = page.locator("#device-import-errors tr.import-error")
    expect(error).to_have_count(1)
    expect(error.first).to_contain_text("3")
    expect(error.first).to_contain_text("kostenplaatscode: geen kostenplaats 'NOPE'")
    assert Device.objects.get(msisdn="31611111111").label == "Baas"
    page.goto(f"{live_url}/customers/{customer.pk}/devices/?month=2026-09")
    with page.expect_download(timeout=30_000) as download_info:
        page.click("#export-devices")
    content = download_info.value.path().read_bytes()
    sheet = list(openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert sheet[0][:3] == ("Toestel", "ICCID", "Label")
    assert [r[0] for r in sheet[1:]] == [
        "31611111111",
        "31622222222",
        "31633333333",
        "31666666666",
    ]
    assert sheet[1][2] == "Baas" and str(sheet[1][8]) == "7482.31"


def test_a_manager_edits_label_and_user_only_in_english(page, live_url, login, fleet, manager):
    anna = fleet["anna"]
    login(page, "manager")
    page.goto(f"{live_url}/customers/{fleet['customer'].pk}/devices/")
    english(page)
    expect(page.locator("h1")).to_contain_text("Devices")
    expect(page.locator("#device-add")).to_have_count(0)
    expect(page.locator("#device-import-link")).to_have_count(0)
    page.click(f"a.device-link:text('{anna.msisdn}')")
    expect(page.locator("#device-cost-center")).to_contain_text("OPS Operations")
    expect(page.locator("#device-history-table tr.history-row")).to_have_count(1)
    expect(page.locator("#device-deactivate")).to_have_count(0)
    page.locator("#device-edit summary").click()
    expect(page.locator("#edit-iccid")).to_have_count(0)
    page.fill("#edit-label", "CEO phone")
    page.fill("#edit-user-name", "Anna Jansen")
    page.click("#device-save")
    expect(page.locator(".messages")).to_contain_text("Device saved.")
    expect(page.locator("#device-label")).to_have_text("CEO phone")
    # September's CDRs, in English formats.
    page.goto(f"{live_url}/devices/{anna.pk}/?month=2026-09")
    expect(page.locator("#device-cdr-table tr.cdr-row")).to_have_count(1)
    expect(page.locator("#device-cdr-table tr.cdr-row").first).to_contain_text("€7,482.31")
    expect(page.locator("#device-cost-table tr[data-month='2026-09']")).to_contain_text("€7,482.31")
    # A staff field sent anyway is refused, and nothing changes.
    status = post(page, f"{live_url}/devices/{anna.pk}/edit", {"label": "x", "iccid": "1"})
    assert status == 403
    anna.refresh_from_db()
    assert (anna.label, anna.iccid) == ("CEO phone", fleet["anna"].iccid)


def post(page, url: str, form: dict) -> int:
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(url, form=form, headers={"X-CSRFToken": token, "Referer": url})
    return response.status


@pytest.mark.parametrize("language", ["nl", "en"])
def test_a_viewer_reads_without_edit_buttons_and_may_not_post(
    page, live_url, login, fleet, viewer, language
):
    anna = fleet["anna"]
    login(page, "viewer")
    page.goto(f"{live_url}/customers/{fleet['customer'].pk}/devices/")
    if language == "en":
        english(page)
    expect(rows(page)).to_have_count(3)
    expect(page.locator("#device-add")).to_have_count(0)
    expect(page.locator("#export-devices")).to_have_count(0)
    page.goto(f"{live_url}/devices/{anna.pk}/")
    expect(page.locator("h1")).to_contain_text("Toestel" if language == "nl" else "Device")
    expect(page.locator("#device-edit")).to_have_count(0)
    expect(page.locator("#device-deactivate")).to_have_count(0)
    assert post(page, f"{live_url}/devices/{anna.pk}/edit", {"label": "x"}) == 403
    assert post(page, f"{live_url}/devices/{anna.pk}/deactivate", {}) == 403
    assert post(page, f"{live_url}/customers/{anna.customer_id}/devices/add", {}) == 403
    anna.refresh_from_db()
    assert anna.label == "Zeta phone" and anna.deactivated_on is None


def test_another_customers_user_finds_no_inventory_and_no_device(page, live_url, login, fleet):
    stranger = UserFactory(username="stranger")
    MembershipFactory(user=stranger, customer=CustomerFactory(name="Other"), role="manager")
    login(page, "stranger")
    for path in (
        f"/customers/{fleet['customer'].pk}/devices/",
        f"/devices/{fleet['anna'].pk}/",
        f"/customers/{fleet['customer'].pk}/devices/import/",
    ):
        assert page.goto(f"{live_url}{path}").status == 404
    assert post(page, f"{live_url}/devices/{fleet['anna'].pk}/edit", {"label": "x"}) == 404
