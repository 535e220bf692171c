"""The import's two ways of reading a record: the canonical fast path and parse_row, and their
agreement.

The fast path hands a record's own text to PostgreSQL's COPY; it must never accept
what parse_row would refuse, and whatever it leaves to parse_row must still import
(on both databases) exactly as before.
"""

import datetime as dt
import io
from decimal import Decimal

import pytest

from telcost.core.cdr_format import CSV_COLUMNS, parse_row
from telcost.integrations.providers.http_api import records_values
from telcost.usage.imports.parse import canonical_text
from telcost.usage.imports.pipeline import cdrs_import_csv, cdrs_import_rows
from telcost.usage.models import CDR
from tests.factories import CustomerFactory, DeviceFactory

CANONICAL = (
    "c1",
    "31600000001",
    "2026-09-01T10:00:00+02:00",
    "voice",
    "national",
    "31201234567",
    "61",
    "0",
    "0.1234",
)


def variant(**changes) -> tuple[str, ...]:
    values = dict(zip(CSV_COLUMNS, CANONICAL, strict=True))
    values.update(changes)
    return tuple(values[c] for c in CSV_COLUMNS)


# Valid in parse_row's eyes, but not in the one form COPY is handed as it is.
NOT_CANONICAL_BUT_VALID = [
    variant(external_id=" c1 "),
    variant(msisdn=" 31600000001"),
    variant(started_at="2026-09-01 10:00:00+02:00"),
    variant(started_at="2026-09-01T10:00:00.1234567+02:00"),
    variant(started_at="2026-09-01T10:00+02:00"),
    variant(started_at="2026-09-01T10:00:00+02:00:30"),
    variant(started_at="2026-09-01T10:00:00+20:00"),  # beyond PostgreSQL's offsets: stored in UTC
    variant(record_type=" sms"),
    variant(destination="line\nbreak\\and\x1fseparator"),
    variant(destination="  "),
    variant(external_id="tab\tinside"),
    variant(duration_s="007 "),
    variant(provider_cost="+0.5"),
    variant(provider_cost=".5"),
    variant(provider_cost="1."),
]
INVALID = [
    variant(started_at="2026-02-30T10:00:00+01:00"),  # the shape is canonical, the date is not
    variant(started_at="2026-09-01T10:00:00"),
    variant(msisdn="3160000000١"),  # an Arabic-Indic digit: isdigit() says yes
    variant(duration_s="²"),
    variant(provider_cost="0.12345"),
    variant(provider_cost="1e3"),
    variant(external_id="nul\x00inside"),
    variant(destination="x" * 65),
]


def test_the_canonical_record_takes_the_fast_path_as_its_own_text():
    assert canonical_text(CANONICAL) == "\x1f".join(CANONICAL)


@pytest.mark.parametrize("values", NOT_CANONICAL_BUT_VALID + INVALID)
def test_the_fast_path_leaves_everything_else_to_parse_row(values):
    assert canonical_text(values) is None


@pytest.mark.parametrize("values", NOT_CANONICAL_BUT_VALID)
def test_non_canonical_records_are_still_valid(values):
    parse_row(2, values)


@pytest.mark.parametrize("values", INVALID)
def test_invalid_records_are_refused_by_parse_row(values):
    with pytest.raises(ValueError):
        parse_row(2, values)


def csv_of(*records: tuple[str, ...]) -> io.BytesIO:
    import csv

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(records)
    return io.BytesIO(out.getvalue().encode())


@pytest.mark.django_db
def test_non_canonical_records_are_stored_as_parse_row_reads_them(customer):
    records = [
        variant(external_id=" v0 "),
        variant(
            external_id="v1",
            started_at="2026-09-01 10:00:00.1234567+02:00",
            provider_cost="+.5",
            duration_s=" 7",
            destination="a\\b\nc\x1fd\te",
        ),
        variant(external_id="v2", msisdn="31600000002", started_at="2026-09-01T10:00:00+02:00:30"),
    ]
    result = cdrs_import_csv(customer=customer, stream=csv_of(*records))
    assert result.as_dict() == {"imported": 3, "duplicates": 0, "rejected": 0, "errors": []}
    v0, v1, v2 = (CDR.objects.get(customer=customer, external_id=f"v{i}") for i in range(3))
    assert v0.started_at == dt.datetime(2026, 9, 1, 8, 0, tzinfo=dt.UTC)
    assert v1.started_at == dt.datetime(2026, 9, 1, 8, 0, 0, 123456, tzinfo=dt.UTC)
    assert (v1.provider_cost, v1.cost, v1.duration_s, v1.destination) == (
        Decimal("0.5"),
        Decimal("0.5"),
        7,
        "a\\b\nc\x1fd\te",
    )
    assert v2.started_at == dt.datetime(2026, 9, 1, 7, 59, 30, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_one_batch_of_every_kind_counts_each_record_once(customer):
    """Canonical, non-canonical, bad, other-month, other customer's device, duplicate in the batch
    and stored."""
    DeviceFactory(msisdn="31699999999", customer=CustomerFactory())
    cdrs_import_csv(customer=customer, stream=csv_of(variant(external_id="stored")))
    records = [
        variant(external_id="a"),  # line 2: new
        variant(external_id="b", provider_cost=".5"),  # 3: new, through parse_row
        variant(external_id="stored"),  # 4: stored before
        variant(external_id="a"),  # 5: twice in the batch: the first one counts
        variant(external_id="c", zone="mars"),  # 6: rejected
        variant(external_id="d", started_at="2026-10-01T00:30:00+02:00"),  # 7: October in Amsterdam
        variant(
            external_id="e", started_at="2026-08-31T22:30:00+00:00"
        ),  # 8: September in Amsterdam
        variant(external_id="f", msisdn="31699999999"),  # 9: another customer's device
        variant(external_id="g", started_at="2026-02-30T10:00:00+01:00"),  # 10: no such day
    ]
    result = cdrs_import_csv(
        customer=customer, stream=csv_of(*records), cycle_start=dt.date(2026, 9, 1)
    )
    assert (result.imported, result.duplicates, result.rejected, result.skipped_other_months) == (
        3,
        2,
        3,
        1,
    )
    assert sorted((e["line"], e["reason"].split(" ")[0]) for e in result.errors) == [
        (6, "zone"),
        (9, "msisdn"),
        (10, "started_at"),
    ]
    stored = dict(CDR.objects.filter(customer=customer).values_list("external_id", "cycle_start"))
    assert stored == {
        "stored": dt.date(2026, 9, 1),
        "a": dt.date(2026, 9, 1),
        "b": dt.date(2026, 9, 1),
        "e": dt.date(2026, 9, 1),
    }
    assert CDR.objects.get(customer=customer, external_id="a").provider_cost == Decimal("0.1234")


@pytest.mark.django_db
def test_without_a_cycle_each_record_names_its_own_amsterdam_month(customer):
    result = cdrs_import_csv(
        customer=customer,
        stream=csv_of(
            variant(external_id="late", started_at="2026-09-30T22:30:00+00:00"),
            variant(external_id="early", started_at="2026-09-01T00:10:00+02:00"),
        ),
    )
    assert result.imported == 2
    assert dict(CDR.objects.values_list("external_id", "cycle_start")) == {
        "late": dt.date(2026, 10, 1),
        "early": dt.date(2026, 9, 1),
    }


@pytest.mark.django_db
def test_provider_records_no_database_can_hold_are_rejected_alone(customer):
    records = [dict(zip(CSV_COLUMNS, variant(external_id=f"r{i}"), strict=True)) for i in range(3)]
    records[1]["destination"] = "lone \ud800 surrogate"
    records[2]["external_id"] = "nul\x00"
    result = cdrs_import_rows(customer=customer, rows=enumerate(records_values(records), start=1))
    assert (result.imported, result.rejected) == (1, 2)
    assert [e["line"] for e in result.errors] == [2, 3]
    assert "not valid Unicode" in result.errors[0]["reason"] and "NUL" in result.errors[1]["reason"]


def test_a_provider_number_with_a_fraction_is_read_as_the_decimal_it_says():
    from telcost.integrations.providers.http_api import page_of_values

    def record(n: int, cost: str) -> str:
        return (
            f'{{"external_id": "n{n}", "msisdn": "31600000001", '
            '"started_at": "2026-09-01T10:00:00+02:00", '
            f'"record_type": "sms", "zone": "eu", "duration_s": 0, "volume_kb": 0, '
            f'"provider_cost": {cost}}}'
        )

    records = f"{record(1, '0.1234')}, {record(2, '0.123400000000000000001')}"
    body = f'{{"records": [{records}], "next_page": null}}'
    page, values = page_of_values(body.encode())
    assert page.next_page is None
    # As a float the second would be 0.1234 and import; as the Decimal it is, it has too many
    # decimals.
    assert [v[8] for v in values] == ["0.1234", "0.123400000000000000001"]
    with pytest.raises(ValueError, match="4 decimals"):
        parse_row(3, values[1])
    assert canonical_text(values[0]) is not None and values[0][6] == "0"


@pytest.mark.parametrize("bad_at", [None, 0, 599])
def test_a_long_page_is_validated_in_slices_and_keeps_every_record_in_order(bad_at):
    """600 records: the fast path validates them 250 at a time; one bad record anywhere sends the
    page
    the exact way, where only that record is refused."""
    import json

    from telcost.integrations.providers.http_api import page_of_values

    records = [
        {
            "external_id": f"s{n}",
            "msisdn": "31600000001",
            "started_at": "2026-09-01T10:00:00+02:00",
            "record_type": "sms",
            "zone": "eu",
            "duration_s": 0,
            "volume_kb": 0,
            "provider_cost": n,
        }
        for n in range(600)
    ]
    if bad_at is not None:
        records[bad_at]["record_type"] = 7
    _, values = page_of_values(json.dumps({"records": records, "next_page": None}).encode())
    assert len(values) == 600
    for n, value in enumerate(values):
        if n == bad_at:
            assert isinstance(value, str)
        else:
            assert value[0] == f"s{n}" and value[8] == str(n)
