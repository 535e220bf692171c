"""Exports a finance team can sum (issue 17 items 7 and 8).

The totals export's device sheet holds each device's monthly fee as a row of its own, so its cost
column adds up to the month's total; the Summary's figures are numbers, not text. A csv comes in
the API's rfc4180 by default or as excel-nl (";", decimal comma, UTF-8 BOM), which Dutch pages
offer; an unknown dialect is refused naming the field, with nothing stored.
"""

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.storage import default_storage
from django.test import Client

from telcost.accounts.models import Membership
from telcost.exports.models import ExportJob
from telcost.usage.models import CycleTotals
from telcost.usage.recalculation.services import recalculation_dispatch
from tests.factories import DeviceFactory, MembershipFactory, UserFactory
from tests.usage.helpers import NO_BUNDLE, SEPT, add_cdr, plan_with
from tests.web.finance_month import TOTAL, finance_month

pytestmark = pytest.mark.django_db


@pytest.fixture
def rated(rated_customer, drain_jobs):
    """A rate-plan customer: usage 5.7011 on one device, 12.50 a month on each of three (one of
    them without any usage)."""
    customer = rated_customer(plan_with(bundle={**NO_BUNDLE, "voice_minutes": 1}), name="Datri")
    phone = DeviceFactory(customer=customer, msisdn="31612345678")
    DeviceFactory(customer=customer, msisdn="31600000001")
    DeviceFactory(customer=customer, msisdn="31699999999")
    add_cdr(customer, phone, duration_s=60)
    add_cdr(customer, phone, duration_s=90)
    add_cdr(customer, phone, record_type="sms", zone="eu")
    add_cdr(customer, phone, record_type="data", zone="international", volume_kb=1024)
    recalculation_dispatch(customer=customer, cycle_start=SEPT)
    drain_jobs()
    user = UserFactory(username="finance")
    MembershipFactory(user=user, customer=customer, role=Membership.Role.MANAGER)
    return customer


def _export(api_client, customer, drain_jobs, **fields) -> bytes:
    user = customer.memberships.get().user
    body = {"customer_id": customer.pk, "cycle_start_date": "2026-09-01", "kind": "totals"}
    response = api_client(user).post("/api/exports", {**body, **fields})
    assert response.status_code == 202, response.content
    drain_jobs()
    export = ExportJob.objects.get(pk=response.json()["export_id"])
    assert export.status == "completed", export.error
    with default_storage.open(export.file_name, "rb") as handle:
        return handle.read()


def test_the_device_sheet_adds_up_to_the_months_total_and_the_summary_holds_numbers(
    api_client, rated, drain_jobs
):
    total = CycleTotals.objects.get(customer=rated, cycle_start=SEPT).total_cost
    assert total == Decimal("43.2011")  # 5.7011 usage + 3 × 12.50
    book = openpyxl.load_workbook(io.BytesIO(_export(api_client, rated, drain_jobs)))
    rows = list(book["Totals"].iter_rows(values_only=True))[1:]
    assert sum(Decimal(str(r[6])) for r in rows) == total
    fees = [(r[0], r[1], r[6]) for r in rows if r[1] == "subscription"]
    assert fees == [
        ("31600000001", "subscription", 12.5),
        ("31612345678", "subscription", 12.5),
        ("31699999999", "subscription", 12.5),
    ]
    # A device's fee follows its usage.
    assert [r[1] for r in rows if r[0] == "31612345678"][-1] == "subscription"
    summary = dict(list(book["Summary"].iter_rows(values_only=True))[1:])
    assert summary["Total cost"] == pytest.approx(43.2011)
    assert summary["Subscription cost"] == pytest.approx(37.5)
    assert summary["Version"] == 1 and summary["Month"] == "2026-09"
    for item in ("Total cost", "Subscription cost", "Cost voice", "Roaming cost", "Idle devices"):
        assert isinstance(summary[item], int | float), (item, summary[item])
    cell = next(c for c in book["Summary"]["B"] if c.value == summary["Total cost"])
    assert cell.data_type == "n" and cell.number_format.startswith("€")


def test_rfc4180_is_the_apis_default_csv(api_client, rated, drain_jobs):
    content = _export(api_client, rated, drain_jobs, format="csv")
    assert not content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode())))
    assert rows[0][:3] == ["Device", "Record type", "Zone"]
    assert sum(Decimal(r[6]) for r in rows[1:]) == Decimal("43.2011")
    assert ExportJob.objects.get().csv_dialect == "rfc4180"


def test_excel_nl_has_a_bom_semicolons_and_decimal_commas(api_client, rated, drain_jobs):
    content = _export(api_client, rated, drain_jobs, format="csv", csv_dialect="excel-nl")
    assert content.startswith(b"\xef\xbb\xbf")
    text = content[3:].decode()
    assert text.splitlines()[0] == "Device;Record type;Zone;Count;Duration (s);Volume (KB);Cost"
    assert "31612345678;subscription;;;;;12,5000\r\n" in text
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert sum(Decimal(r[6].replace(",", ".")) for r in rows[1:]) == Decimal("43.2011")
    assert ExportJob.objects.get().csv_dialect == "excel-nl"


def test_the_cdrs_as_excel_nl_csv_carry_the_finance_months_amounts(
    api_client, drain_jobs, settings
):
    month = finance_month(drain_jobs)
    user = UserFactory(username="cdr-reader")
    MembershipFactory(user=user, customer=month.customer, role=Membership.Role.MANAGER)
    response = api_client(user).post(
        "/api/exports",
        {
            "customer_id": month.customer.pk,
            "cycle_start_date": "2026-09-01",
            "kind": "cdrs",
            "format": "csv",
            "csv_dialect": "excel-nl",
        },
    )
    assert response.status_code == 202
    drain_jobs()
    export = ExportJob.objects.get(pk=response.json()["export_id"])
    with default_storage.open(export.file_name, "rb") as handle:
        content = handle.read()
    assert content.startswith(b"\xef\xbb\xbf")
    text = content[3:].decode()
    assert ";2000,3056;" in text and ";5000,0000;" in text and "." not in text.split(";")[3]
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert sum(Decimal(r[3].replace(",", ".")) for r in rows[1:]) == TOTAL
    assert str(TOTAL).replace(".", ",") == "7482,3056"


def test_the_totals_csv_of_the_finance_month_sums_to_7482_3056(api_client, drain_jobs):
    month = finance_month(drain_jobs)
    user = UserFactory(username="totals-reader")
    MembershipFactory(user=user, customer=month.customer, role=Membership.Role.MANAGER)
    body = {
        "customer_id": month.customer.pk,
        "cycle_start_date": "2026-09-01",
        "kind": "totals",
        "format": "csv",
        "csv_dialect": "excel-nl",
    }
    assert api_client(user).post("/api/exports", body).status_code == 202
    drain_jobs()
    export = ExportJob.objects.get(customer=month.customer)
    with default_storage.open(export.file_name, "rb") as handle:
        content = handle.read()
    rows = list(csv.reader(io.StringIO(content[3:].decode()), delimiter=";"))
    total = sum(Decimal(r[6].replace(",", ".")) for r in rows[1:])
    assert total == TOTAL and f"{total}".replace(".", ",") == "7482,3056"


@pytest.mark.parametrize("dialect", ["excel", "EXCEL-NL", "", "tsv", 3])
def test_an_unknown_dialect_is_refused_naming_the_field(api_client, rated, dialect):
    user = rated.memberships.get().user
    response = api_client(user).post(
        "/api/exports",
        {
            "customer_id": rated.pk,
            "cycle_start_date": "2026-09-01",
            "kind": "totals",
            "format": "csv",
            "csv_dialect": dialect,
        },
    )
    assert response.status_code == 400
    assert "csv_dialect" in response.json()["error"]
    assert not ExportJob.objects.exists()


def test_a_dutch_page_asks_for_excel_nl_an_english_one_for_rfc4180(rated):
    user = rated.memberships.get().user
    client = Client()
    client.force_login(user)
    page = client.get(f"/customers/{rated.pk}/usage/?month=2026-09").content.decode()
    assert 'value="csv:excel-nl"' in page and "csv voor Nederlandse Excel" in page
    details = client.get(f"/admin/cost-centers/{rated.pk}/").content.decode()
    dialog = details[details.index('id="export-dialog"') :]
    assert 'id="cost-center-file-type"' in dialog and 'value="csv:excel-nl"' in dialog
    start = f"/customers/{rated.pk}/exports/start"
    form = {"date": "2026-09-01", "kind": "totals"}
    assert client.post(start, {**form, "file_type": "csv:excel-nl"}).status_code == 200
    # A csv without a dialect is the reader's Excel's.
    assert client.post(start, {**form, "kind": "cdrs", "format": "csv"}).status_code == 200
    client.cookies["django_language"] = "en"
    page = client.get(f"/customers/{rated.pk}/usage/?month=2026-09").content.decode()
    assert page.index('value="csv:rfc4180"') < page.index('value="csv:excel-nl"')
    assert client.post(start, {**form, "kind": "totals", "format": "csv"}).status_code == 200
    refused = client.post(start, {**form, "kind": "cost_centers", "file_type": "csv:tsv"})
    assert refused.status_code == 400 and "csv_dialect" in refused.content.decode()
    got = list(ExportJob.objects.order_by("pk").values_list("kind", "format", "csv_dialect"))
    assert got == [
        ("totals", "csv", "excel-nl"),
        ("cdrs", "csv", "excel-nl"),
        ("totals", "csv", "rfc4180"),
    ]
