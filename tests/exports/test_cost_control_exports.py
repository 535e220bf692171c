"""Export kinds `reconciliation` and `chargeback` of the hand-computed October
(tests/usage/cost_control/helpers.py), read back from the files."""

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest

from telcost.exports.models import ExportJob
from telcost.exports.reports import _sheet_names
from tests.exports.test_exports import download
from tests.factories import CustomerFactory, MembershipFactory, UserFactory
from tests.usage.cost_control.helpers import calculate, october

pytestmark = pytest.mark.django_db


@pytest.fixture
def month():
    made = october()
    calculate(made["customer"])
    return made


@pytest.fixture
def datri_manager(month):
    user = UserFactory(username="datri-manager")
    MembershipFactory(user=user, customer=month["customer"], role="manager")
    return user


def export(client, customer, kind, fmt="xlsx", language="en"):
    return client.post(
        "/api/exports",
        {
            "customer_id": customer.pk,
            "cycle_start_date": "2026-10-01",
            "kind": kind,
            "format": fmt,
            "language": language,
        },
    )


def test_reconciliation_lists_every_overcharged_cdr_in_time_order(
    api_client, month, datri_manager, drain_jobs, smtp
):
    client = api_client(datri_manager)
    answer = export(client, month["customer"], "reconciliation")
    assert answer.status_code == 202
    drain_jobs()
    response, content = download(client, answer.json()["export_id"])
    assert response.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert rows[0] == (
        "Date",
        "Device",
        "Record type",
        "Zone",
        "Destination",
        "Duration",
        "Volume (KB)",
        "Provider cost",
        "Contract cost",
        "Difference",
    )
    got = [(r[0], r[1], r[2], r[5], r[6], str(r[7]), str(r[8]), str(r[9])) for r in rows[1:]]
    assert got == [
        (dt.datetime(2026, 10, 5, 9, 0), "31600000004", "voice", 30, 0, "0.3", "0.15", "0.15"),
        (dt.datetime(2026, 10, 12, 9, 0), "31600000001", "data", 0, 3072, "0.1", "0.02", "0.08"),
        (dt.datetime(2026, 10, 24, 23, 30), "31600000001", "voice", 60, 0, "0.2", "0.15", "0.05"),
    ]
    assert ExportJob.objects.get(pk=answer.json()["export_id"]).rows == 3


def test_reconciliation_as_dutch_csv(api_client, month, datri_manager, drain_jobs, smtp):
    client = api_client(datri_manager)
    answer = export(client, month["customer"], "reconciliation", "csv", "nl")
    drain_jobs()
    rows = list(csv.reader(io.StringIO(download(client, answer.json()["export_id"])[1].decode())))
    assert rows[0] == [
        "Datum",
        "Toestel",
        "Soort",
        "Zone",
        "Bestemming",
        "Duur",
        "Volume (KB)",
        "Kosten provider",
        "Kosten contract",
        "Verschil",
    ]
    assert rows[1] == [
        "2026-10-05 09:00:00",
        "31600000004",
        "voice",
        "national",
        "31201234567",
        "30",
        "0",
        "0.3000",
        "0.1500",
        "0.1500",
    ]
    assert len(rows) == 4


def test_a_standard_customer_cannot_ask_a_reconciliation(api_client, staff_user):
    customer = CustomerFactory()
    answer = export(api_client(staff_user), customer, "reconciliation")
    assert answer.status_code == 400 and "rate plan" in answer.json()["error"]
    assert not ExportJob.objects.exists()


def test_chargeback_overview_and_a_sheet_per_cost_center(
    api_client, month, datri_manager, drain_jobs, smtp
):
    client = api_client(datri_manager)
    answer = export(client, month["customer"], "chargeback")
    drain_jobs()
    book = openpyxl.load_workbook(io.BytesIO(download(client, answer.json()["export_id"])[1]))
    assert book.sheetnames == ["Overview", "IDLE", "OPS", "SALES", "Unassigned"]
    overview = list(book["Overview"].iter_rows(values_only=True))
    assert overview[0] == (
        "Cost center",
        "Cost center name",
        "Devices",
        "Voice",
        "SMS",
        "Data",
        "Usage cost",
        "Subscription cost",
        "Total cost",
    )

    def money(row):
        return [Decimal(str(v)).quantize(Decimal("0.01")) for v in row[3:]]

    assert [row[:3] for row in overview[1:]] == [
        ("IDLE", "Nobody here", 0),
        ("OPS", "Operations", 2),
        ("SALES", "Sales", 2),
        (None, "Unassigned", 2),
        (None, "Total", 5),  # A counts in SALES and OPS, once in the total
    ]
    assert [money(row)[-1] for row in overview[1:]] == [
        Decimal("0.00"),
        Decimal("25.33"),
        Decimal("12.75"),
        Decimal("25.40"),
        Decimal("63.48"),
    ]
    assert money(overview[3]) == [Decimal(v) for v in "0.15 0.08 0.02 0.25 12.50 12.75".split()]
    ops = list(book["OPS"].iter_rows(values_only=True))
    assert ops[0][:3] == ("Device", "Label", "User")
    assert [(r[0], r[1], money(r)[-1]) for r in ops[1:]] == [
        ("31600000001", "Anna", Decimal("12.83")),  # 0.25 + 0.08 + the fee 12.50
        ("31600000003", "Cees", Decimal("12.50")),  # a fee and no CDRs
    ]
    sales = list(book["SALES"].iter_rows(values_only=True))
    assert [(r[0], money(r)[-1]) for r in sales[1:]] == [
        ("31600000001", Decimal("0.17")),
        ("31600000002", Decimal("12.58")),  # its fee where it was on its last active day
    ]
    assert list(book["IDLE"].iter_rows(values_only=True))[1:] == []
    unassigned = list(book["Unassigned"].iter_rows(values_only=True))
    assert [r[0] for r in unassigned[1:]] == ["31600000004", "31600000005"]


def test_chargeback_before_the_month_was_calculated_fails_saying_why(
    api_client, staff_user, drain_jobs, smtp
):
    customer = october()["customer"]
    client = api_client(staff_user)
    answer = export(client, customer, "chargeback")
    drain_jobs()
    exported = ExportJob.objects.get(pk=answer.json()["export_id"])
    assert exported.status == "failed" and "not been calculated" in exported.error


def test_an_outsider_cannot_export(api_client, month):
    outsider = UserFactory()
    MembershipFactory(user=outsider, customer=CustomerFactory(), role="manager")
    for kind in ("reconciliation", "chargeback"):
        assert export(api_client(outsider), month["customer"], kind).status_code == 404
    viewer = UserFactory()
    MembershipFactory(user=viewer, customer=month["customer"], role="viewer")
    assert export(api_client(viewer), month["customer"], "chargeback").status_code == 403
    assert not ExportJob.objects.exists()


def test_sheet_names_excel_accepts():
    assert _sheet_names(["Overview", "overview", "A/B:C", "x" * 40, "x" * 40, "'q'"]) == [
        "Overview",
        "overview (2)",
        "A_B_C",
        "x" * 31,
        "x" * 27 + " (2)",
        "q",
    ]
