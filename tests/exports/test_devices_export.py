"""Export kind `devices`: the inventory with each device's cost center today and its month's cost,
read back from the file (csv and xlsx) and compared with hand-computed values."""

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest

from tests.exports.test_exports import download, request_export
from tests.factories import (
    CostCenterAssignmentFactory,
    CostCenterFactory,
    CustomerFactory,
    DeviceFactory,
    UserFactory,
)
from tests.usage.helpers import add_cdr

pytestmark = pytest.mark.django_db


@pytest.fixture
def devices(customer):
    ops = CostCenterFactory(customer=customer, code="OPS", name="Operations")
    sales = CostCenterFactory(customer=customer, code="SALES", name="Sales")
    anna = DeviceFactory(
        customer=customer,
        msisdn="31611111111",
        iccid="8931001",
        label="=HYPERLINK(1)",
        user_name="Anna",
    )
    bert = DeviceFactory(
        customer=customer,
        msisdn="31622222222",
        iccid="8931002",
        label="Tablet",
        user_name="Bert",
        deactivated_on=dt.date(2026, 10, 1),
    )
    CostCenterAssignmentFactory(device=anna, cost_center=ops, valid_from=dt.date(2026, 1, 1))
    CostCenterAssignmentFactory(device=anna, cost_center=sales, valid_from=dt.date(2026, 10, 1))
    add_cdr(customer, anna, provider_cost="0.1234")
    add_cdr(customer, anna, provider_cost="1.0001")
    add_cdr(customer, bert, provider_cost="0.0500")
    # Another customer's device and CDRs are not in it.
    other = CustomerFactory(name="Other")
    add_cdr(other, DeviceFactory(customer=other), provider_cost="9.0000")
    return customer


def test_devices_as_csv_with_cost_center_today_and_month_cost(
    api_client, devices, manager, drain_jobs, smtp
):
    client = api_client(manager)
    response = request_export(client, devices, "devices", "csv", "2026-09-01")
    assert response.status_code == 202
    drain_jobs()
    response, content = download(client, response.json()["export_id"])
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(content.decode())))
    assert rows == [
        [
            "Device",
            "ICCID",
            "Label",
            "User",
            "Cost center",
            "Cost center name",
            "Activated on",
            "Deactivated on",
            "Cost",
        ],
        [
            "31611111111",
            "8931001",
            "'=HYPERLINK(1)",
            "Anna",
            "SALES",
            "Sales",
            "2026-01-01",
            "",
            "1.1235",
        ],
        [
            "31622222222",
            "8931002",
            "Tablet",
            "Bert",
            "",
            "",
            "2026-01-01",
            "2026-10-01",
            "0.0500",
        ],
    ]


def test_devices_as_xlsx_keeps_money_exact(api_client, devices, staff_user, drain_jobs, smtp):
    client = api_client(staff_user)
    export_id = request_export(client, devices, "devices", "xlsx", "2026-09-01").json()["export_id"]
    drain_jobs()
    sheet = openpyxl.load_workbook(io.BytesIO(download(client, export_id)[1])).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == "31611111111" and rows[1][4] == "SALES"
    assert Decimal(str(rows[1][8])) == Decimal("1.1235")
    assert rows[2][7] == dt.datetime(2026, 10, 1)


def test_a_viewer_or_a_stranger_gets_no_devices_export(api_client, devices, viewer):
    assert request_export(api_client(viewer), devices, "devices").status_code == 403
    stranger = UserFactory(username="stranger")
    assert request_export(api_client(stranger), devices, "devices").status_code == 404
