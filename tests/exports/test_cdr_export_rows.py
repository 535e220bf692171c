"""The CDR export's rows as the database computes them, against a plain Python reading of the same
CDRs.

The reference is the conversion telcost did in Python before the database took
it over: zoneinfo local time, the cost center assignment with the latest
valid_from on or before the local date, a standard customer's provider cost.
October 2026 holds the change from summer to winter time (25 October, 01:00 UTC).
"""

import bisect
import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone

from telcost.customers.models import CostCenterAssignment, Device
from telcost.exports.cdr import postgres as cdr_query
from telcost.exports.cdr import rows as cdr_export_rows
from telcost.exports.cdr import sqlite as cdr_sqlite
from telcost.exports.cdr.postgres import offset_changes
from telcost.exports.models import ExportJob
from telcost.exports.services import export_generate
from telcost.exports.writers import csv_safe
from telcost.usage.models import CDR
from tests.factories import (
    CostCenterAssignmentFactory,
    CostCenterFactory,
    CustomerFactory,
    DeviceFactory,
    RatePlanFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

OCT = dt.date(2026, 10, 1)
UTC = dt.UTC


def cdr(
    customer,
    device,
    at: dt.datetime,
    *,
    cost="0.1234",
    provider_cost="0.1234",
    destination="31201234567",
    record_type="voice",
    duration_s=61,
    volume_kb=0,
) -> CDR:
    return CDR.objects.create(
        customer=customer,
        device=device,
        external_id=f"x{CDR.objects.count()}",
        started_at=at,
        record_type=record_type,
        zone="national",
        destination=destination,
        duration_s=duration_s,
        volume_kb=volume_kb,
        provider_cost=Decimal(provider_cost),
        cost=None if cost is None else Decimal(cost),
        cycle_start=OCT,
    )


def reference_rows(customer) -> list[tuple]:
    """The rows as Python computes them from the models: local time as text, cost as Decimal
    text."""
    tz = timezone.get_default_timezone()
    periods: dict[int, list] = {}
    for a in (
        CostCenterAssignment.objects.filter(device__customer=customer)
        .order_by("valid_from")
        .select_related("cost_center")
    ):
        periods.setdefault(a.device_id, []).append((a.valid_from, a.cost_center.code))
    rows = []
    for c in (
        CDR.objects.filter(customer=customer, cycle_start=OCT)
        .order_by("started_at", "id")
        .select_related("device")
    ):
        local = c.started_at.astimezone(tz)
        code = None
        if c.device_id in periods:
            dates = [d for d, _ in periods[c.device_id]]
            index = bisect.bisect_right(dates, local.date()) - 1
            code = periods[c.device_id][index][1] if index >= 0 else None
        cost = c.cost if c.cost is not None or customer.is_rateplan else c.provider_cost
        rows.append(
            (
                local.replace(tzinfo=None).isoformat(sep=" ", timespec="seconds"),
                c.device.msisdn,
                c.duration_s,
                None if cost is None else str(cost),
                c.record_type,
                c.zone,
                c.destination,
                c.volume_kb,
                code,
            )
        )
    return rows


@pytest.fixture
def october():
    customer = CustomerFactory(name="October BV")
    old, new = (
        CostCenterFactory(customer=customer, code="OLD"),
        CostCenterFactory(customer=customer, code='NEW, "B"'),
    )
    mover = DeviceFactory(customer=customer, msisdn="31611111111")
    lonely = DeviceFactory(customer=customer, msisdn="31622222222")  # no cost center at all
    late = DeviceFactory(
        customer=customer, msisdn="31633333333"
    )  # its first cost center starts in November
    CostCenterAssignmentFactory(device=mover, cost_center=old, valid_from=dt.date(2026, 1, 1))
    CostCenterAssignmentFactory(device=mover, cost_center=new, valid_from=dt.date(2026, 10, 15))
    CostCenterAssignmentFactory(device=late, cost_center=new, valid_from=dt.date(2026, 11, 1))
    # Local midnight opening October (still summer time), both sides of midnight of the 15th,
    # the last second of summer time and the first of winter time, the last second of October.
    cdr(customer, mover, dt.datetime(2026, 9, 30, 22, 0, tzinfo=UTC), cost="12345678.1234")
    cdr(customer, mover, dt.datetime(2026, 10, 14, 21, 59, 59, 999_999, tzinfo=UTC), cost="0.0000")
    cdr(
        customer,
        mover,
        dt.datetime(2026, 10, 14, 22, 0, tzinfo=UTC),
        destination='Paris, "Gare"\nquai 3',
    )
    cdr(
        customer,
        lonely,
        dt.datetime(2026, 10, 25, 0, 59, 59, tzinfo=UTC),
        record_type="sms",
        duration_s=0,
    )
    cdr(
        customer,
        late,
        dt.datetime(2026, 10, 25, 1, 0, 0, tzinfo=UTC),
        record_type="data",
        volume_kb=1234,
        duration_s=0,
    )
    cdr(
        customer,
        mover,
        dt.datetime(2026, 10, 31, 22, 59, 59, tzinfo=UTC),
        cost=None,
        provider_cost="0.5000",
        destination="",
    )
    return customer


def test_the_offset_changes_once_in_october_at_one_utc():
    changes = offset_changes(OCT)
    assert [offset for _, offset in changes] == [7200, 3600]
    assert changes[1][0] == dt.datetime(2026, 10, 25, 1, 0, tzinfo=UTC)


def test_march_changes_to_summer_time_and_september_not_at_all():
    assert [(at, offset) for at, offset in offset_changes(dt.date(2026, 3, 1))][1:] == [
        (dt.datetime(2026, 3, 29, 1, 0, tzinfo=UTC), 7200)
    ]
    assert len(offset_changes(dt.date(2026, 9, 1))) == 1


def test_csv_rows_match_the_python_conversion_across_the_dst_change(october):
    rows = list(cdr_export_rows(october, OCT, for_xlsx=False))
    assert rows == reference_rows(october)
    assert [r[0] for r in rows] == [
        "2026-10-01 00:00:00",
        "2026-10-14 23:59:59",
        "2026-10-15 00:00:00",
        "2026-10-25 02:59:59",
        "2026-10-25 02:00:00",
        "2026-10-31 23:59:59",
    ]
    assert [r[8] for r in rows] == ["OLD", "OLD", 'NEW, "B"', None, None, 'NEW, "B"']
    # Money is the exact decimal text; a standard customer's unrated CDR shows the provider's cost.
    assert [r[3] for r in rows] == [
        "12345678.1234",
        "0.0000",
        "0.1234",
        "0.1234",
        "0.1234",
        "0.5000",
    ]


def test_a_rate_plan_customers_unrated_cdr_has_no_cost(october):
    october.kind, october.rate_plan = "rateplan", RatePlanFactory()
    october.save()
    rows = list(cdr_export_rows(october, OCT, for_xlsx=False))
    assert rows == reference_rows(october) and rows[-1][3] is None


def test_xlsx_rows_carry_excel_serials_of_local_time(october):
    serials = [r[0] for r in cdr_export_rows(october, OCT, for_xlsx=True)]
    base = dt.datetime(1899, 12, 30)
    as_datetimes = [base + dt.timedelta(days=float(s)) for s in serials]
    expected = [dt.datetime.fromisoformat(r[0]) for r in reference_rows(october)]
    # The serial keeps the fraction of a second the text cuts off: within a millisecond of it.
    assert all(
        abs(got - (want + dt.timedelta(microseconds=999_999 if i == 1 else 0)))
        < dt.timedelta(milliseconds=1)
        for i, (got, want) in enumerate(zip(as_datetimes, expected, strict=True))
    )


def generate(customer, fmt: str) -> bytes:
    from django.core.files.storage import default_storage

    export = ExportJob.objects.create(
        customer=customer, requested_by=UserFactory(), cycle_start_date=OCT, kind="cdrs", format=fmt
    )
    name = export_generate(export=export)["file"]
    with default_storage.open(name) as f:
        return f.read()


def csv_of_reference_rows(customer) -> str:
    expected = io.StringIO(newline="")
    writer = csv.writer(expected)
    writer.writerow(
        [
            "Date",
            "Device",
            "Duration",
            "Cost",
            "Record type",
            "Zone",
            "Destination",
            "Volume (KB)",
            "Cost center",
        ]
    )
    # Text a spreadsheet would run as a formula is neutralised in csv (see test_formula_injection).
    text_columns = (1, 4, 5, 6, 8)
    writer.writerows(
        [
            [
                csv_safe(v) if i in text_columns and isinstance(v, str) else v
                for i, v in enumerate(row)
            ]
            for row in reference_rows(customer)
        ]
    )
    return expected.getvalue()


def test_the_csv_file_is_what_the_csv_module_writes_of_the_python_rows(october):
    content = generate(october, "csv")
    assert content.decode() == csv_of_reference_rows(october)
    parsed = list(csv.reader(io.StringIO(content.decode(), newline="")))
    assert parsed[3][6] == 'Paris, "Gare"\nquai 3' and parsed[3][8] == 'NEW, "B"'


def test_the_xlsx_file_reads_back_typed(october):
    book = openpyxl.load_workbook(io.BytesIO(generate(october, "xlsx")))
    sheet = book["CDRs"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (
        "Date",
        "Device",
        "Duration",
        "Cost",
        "Record type",
        "Zone",
        "Destination",
        "Volume (KB)",
        "Cost center",
    )
    reference = reference_rows(october)
    for got, want in zip(rows[1:], reference, strict=True):
        assert isinstance(got[0], dt.datetime)
        assert got[1:3] == want[1:3] and got[4:9] == (
            want[4],
            want[5],
            want[6] or None,
            want[7],
            want[8],
        )
        assert got[3] == float(want[3])
    assert rows[5][0] == dt.datetime(2026, 10, 25, 2, 0) and rows[4][0] == dt.datetime(
        2026, 10, 25, 2, 59, 59
    )
    assert sheet.cell(row=2, column=1).number_format == "yyyy-mm-dd hh:mm:ss"
    assert sheet.cell(row=2, column=4).number_format == "€ #,##0.0000"
    assert (
        sheet.cell(row=2, column=3).data_type == "n"
        and sheet.cell(row=2, column=2).data_type == "s"
    )


def test_devices_of_other_customers_and_other_months_stay_out(october):
    stranger = CustomerFactory()
    cdr(stranger, DeviceFactory(customer=stranger), dt.datetime(2026, 10, 5, tzinfo=UTC))
    moved = Device.objects.get(msisdn="31622222222")
    CDR.objects.filter(device=moved).update(cycle_start=dt.date(2026, 11, 1))
    assert len(list(cdr_export_rows(october, OCT, for_xlsx=False))) == 5


def test_a_customer_without_cost_centers_exports_empty_cost_center_cells():
    customer = CustomerFactory(name="No centers BV")
    device = DeviceFactory(customer=customer, msisdn="31644444444")
    cdr(customer, device, dt.datetime(2026, 10, 3, 12, tzinfo=UTC))
    cdr(customer, device, dt.datetime(2026, 10, 4, 12, tzinfo=UTC))
    assert [row[8] for row in cdr_export_rows(customer, OCT, for_xlsx=False)] == [None, None]
    assert generate(customer, "csv").decode() == csv_of_reference_rows(customer)


@pytest.mark.parametrize("batch_rows", [1, 2, 5000])
def test_csv_lines_quote_as_the_csv_module_in_every_batch(october, monkeypatch, batch_rows):
    """SQLite writes a batch's lines itself unless a value needs quoting: a lone CR, a lone quote, a
    comma,
    a newline each send their batch through the csv module; empty cost centers and money stay empty.
    PostgreSQL turns a chunk's LFs into CRLFs at once unless it holds a quote (a quoted value may
    hold
    an LF of its own). The mover's cost center is OLD on the 10th: nothing else in those rows needs
    quoting."""
    monkeypatch.setattr(cdr_sqlite, "_FETCH_ROWS", batch_rows)
    monkeypatch.setattr(cdr_query, "_COPY_CHUNK_ROWS", batch_rows)
    mover = Device.objects.get(msisdn="31611111111")
    cdr(october, mover, dt.datetime(2026, 10, 10, 8, tzinfo=UTC), destination="carriage\rreturn")
    cdr(october, mover, dt.datetime(2026, 10, 10, 9, tzinfo=UTC), destination='one " quote')
    cdr(october, mover, dt.datetime(2026, 10, 10, 10, tzinfo=UTC), destination=" spaced ")
    cdr(october, mover, dt.datetime(2026, 10, 10, 11, tzinfo=UTC), destination='=HYPERLINK("x")')
    cdr(october, mover, dt.datetime(2026, 10, 10, 12, tzinfo=UTC), destination="\r=1+1")
    assert generate(october, "csv").decode() == csv_of_reference_rows(october)
