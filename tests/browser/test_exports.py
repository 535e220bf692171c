"""Exports through the pages: the cost center dialog of the seed, and the Usage page's buttons."""

import datetime as dt
import io

import openpyxl
import pytest
from playwright.sync_api import expect

from tests.factories import CostCenterAssignmentFactory, CostCenterFactory, DeviceFactory
from tests.usage.helpers import add_cdr

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_cost_center_settings_download_by_themselves(
    page, live_url, login, customer, manager, start_worker, tmp_path
):
    sales = CostCenterFactory(customer=customer, code="SALES", name="Sales")
    device = DeviceFactory(customer=customer, msisdn="31611111111")
    CostCenterAssignmentFactory(device=device, cost_center=sales, valid_from=dt.date(2026, 1, 1))
    start_worker()
    login(page, "manager")
    page.goto(f"{live_url}/admin/cost-centers/")
    page.click("text=Details")
    page.click("#export-open")
    expect(page.locator("#export-dialog")).to_contain_text(
        "Van welke datum wilt u de kostenplaats-instellingen downloaden?"
    )
    with page.expect_download(timeout=30_000) as download_info:
        page.click("#export-download")
    path = tmp_path / "cost-centers.xlsx"
    download_info.value.save_as(path)
    rows = list(openpyxl.load_workbook(path).active.iter_rows(values_only=True))
    # Asked from a Dutch page: Dutch headers.
    assert (
        rows[0][:3] == ("Toestel", "Label", "Kostenplaats")
        and rows[1][0] == "31611111111"
        and rows[1][2] == "SALES"
    )


def test_export_cdrs_from_the_usage_page(
    page, live_url, login, customer, manager, start_worker, tmp_path
):
    add_cdr(
        customer,
        DeviceFactory(customer=customer, msisdn="31622222222"),
        duration_s=42,
        at=dt.datetime(2026, 9, 3, 10, tzinfo=dt.UTC),
    )
    start_worker()
    login(page, "manager")
    page.goto(f"{live_url}/customers/{customer.pk}/usage/?month=2026-09")
    with page.expect_download(timeout=30_000) as download_info:
        page.click("#export-cdrs")
    content = download_info.value.path().read_bytes()
    rows = list(openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("Datum", "Toestel", "Duur", "Kosten") and rows[1][1:3] == (
        "31622222222",
        42,
    )
