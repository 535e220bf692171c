"""Import of CDRs from the CSV of SPEC.md (upload, file-drop provider, CLI) or from rows.

Streamed and batched: memory stays flat however long the file is. Per batch,
one read of the external_ids that already exist, one bulk insert of the new
devices and one of the new CDRs (ignore_conflicts makes a concurrent or repeated
import harmless). Safe to run twice: the second run imports nothing.
"""

import codecs
import csv
import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import BinaryIO

from django.db import connection, transaction
from django.utils import timezone

from telcost.customers.models import Customer, Device
from telcost.usage.cycles import cycle_start_of
from telcost.usage.models import CDR, RecordType, Zone

CSV_COLUMNS = [
    "external_id",
    "msisdn",
    "started_at",
    "record_type",
    "zone",
    "destination",
    "duration_s",
    "volume_kb",
    "provider_cost",
]
BATCH_SIZE = 5000
MAX_REPORTED_ERRORS = 1000
_RECORD_TYPES = set(RecordType.values)
_ZONES = set(Zone.values)
_MAX_COST = Decimal("9999999999.9999")


class ImportRefused(ValueError):
    """The whole file cannot be imported (bad header, not UTF-8); nothing was imported."""


@dataclass
class ImportResult:
    imported: int = 0
    duplicates: int = 0
    rejected: int = 0
    errors: list[dict] = field(default_factory=list)
    skipped_other_months: int = 0

    def reject(self, line: int, reason: str) -> None:
        self.rejected += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append({"line": line, "reason": reason})

    def as_dict(self) -> dict:
        result = {
            "imported": self.imported,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "errors": self.errors,
        }
        if self.rejected > len(self.errors):
            result["errors_truncated"] = True
        return result


@dataclass
class _Row:
    line: int
    external_id: str
    msisdn: str
    started_at: dt.datetime
    record_type: str
    zone: str
    destination: str
    duration_s: int
    volume_kb: int
    provider_cost: Decimal
    cycle_start: dt.date


def _whole_number(value: str, name: str) -> int:
    text = (value or "").strip()
    if not text.isdigit():
        raise ValueError(f"{name} must be a whole number >= 0, got {value!r}")
    number = int(text)
    if number > 2**31 - 1 and name == "duration_s":
        raise ValueError(f"{name} is too large: {value!r}")
    if number > 2**62:
        raise ValueError(f"{name} is too large: {value!r}")
    return number


def parse_row(line: int, raw: dict[str, str]) -> _Row:
    """Validate one record; ValueError with a reason a person can act on."""
    if "__bad__" in raw:
        raise ValueError(raw["__bad__"])
    external_id = (raw.get("external_id") or "").strip()
    if not external_id:
        raise ValueError("external_id is empty")
    if len(external_id) > 100:
        raise ValueError("external_id is longer than 100 characters")
    msisdn = (raw.get("msisdn") or "").strip()
    if not msisdn.isdigit() or not 6 <= len(msisdn) <= 20:
        raise ValueError(f"msisdn must be 6 to 20 digits, got {raw.get('msisdn')!r}")
    started_text = (raw.get("started_at") or "").strip()
    try:
        started_at = dt.datetime.fromisoformat(started_text)
    except ValueError:
        raise ValueError(f"started_at is not an ISO 8601 timestamp: {started_text!r}") from None
    if timezone.is_naive(started_at):
        raise ValueError(f"started_at needs a UTC offset: {started_text!r}")
    record_type = (raw.get("record_type") or "").strip()
    if record_type not in _RECORD_TYPES:
        raise ValueError(f"record_type must be voice, sms or data, got {record_type!r}")
    zone = (raw.get("zone") or "").strip()
    if zone not in _ZONES:
        raise ValueError(f"zone must be national, eu or international, got {zone!r}")
    destination = (raw.get("destination") or "").strip()
    if len(destination) > 64:
        raise ValueError("destination is longer than 64 characters")
    duration_s = _whole_number(raw.get("duration_s", ""), "duration_s")
    volume_kb = _whole_number(raw.get("volume_kb", ""), "volume_kb")
    cost_text = (raw.get("provider_cost") or "").strip()
    try:
        provider_cost = Decimal(cost_text)
    except InvalidOperation:
        raise ValueError(f"provider_cost is not a decimal with '.': {cost_text!r}") from None
    if not provider_cost.is_finite() or "," in cost_text or "e" in cost_text.lower():
        raise ValueError(f"provider_cost is not a decimal with '.': {cost_text!r}")
    if provider_cost.as_tuple().exponent < -4:
        raise ValueError(f"provider_cost has more than 4 decimals: {cost_text!r}")
    if abs(provider_cost) > _MAX_COST:
        raise ValueError(f"provider_cost is too large: {cost_text!r}")
    return _Row(
        line=line,
        external_id=external_id,
        msisdn=msisdn,
        started_at=started_at,
        record_type=record_type,
        zone=zone,
        destination=destination,
        duration_s=duration_s,
        volume_kb=volume_kb,
        provider_cost=provider_cost,
        cycle_start=cycle_start_of(started_at),
    )


def _batches(items: Iterable, size: int) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def cdrs_import_rows(
    *,
    customer: Customer,
    rows: Iterable[tuple[int, dict[str, str]]],
    cycle_start: dt.date | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import (line_number, {column: text}) records. Rows outside cycle_start's month are skipped."""
    result = ImportResult()
    seen = 0
    for batch in _batches(rows, BATCH_SIZE):
        _import_batch(customer=customer, batch=batch, cycle_start=cycle_start, result=result)
        seen += len(batch)
        if progress is not None:
            progress(seen)
    return result


def _import_batch(*, customer: Customer, batch: list, cycle_start: dt.date | None, result: ImportResult) -> None:
    parsed: list[_Row] = []
    for line, raw in batch:
        try:
            row = parse_row(line, raw)
        except ValueError as exc:
            result.reject(line, str(exc))
            continue
        if cycle_start is not None and row.cycle_start != cycle_start:
            result.skipped_other_months += 1
            continue
        parsed.append(row)
    if not parsed:
        return
    with transaction.atomic():
        devices = _devices_for(customer=customer, rows=parsed, result=result)
        new: dict[str, tuple] = {}
        for row in parsed:
            device = devices.get(row.msisdn)
            if device is None:
                continue  # rejected by _devices_for
            if row.external_id in new:
                result.duplicates += 1
                continue
            new[row.external_id] = (
                customer.pk, device.pk, row.external_id, row.started_at, row.record_type, row.zone, row.destination,
                row.duration_s, row.volume_kb, row.provider_cost,
                # Standard customers pay the provider's price; rate-plan customers' cost is rated later.
                None if customer.is_rateplan else row.provider_cost,
                row.cycle_start,
            )
        # The database decides what is new: rows already there (from an earlier or a concurrent
        # import) are skipped by the unique (customer, external_id) and counted as duplicates.
        inserted = _insert_new(list(new.values()))
        result.imported += inserted
        result.duplicates += len(new) - inserted


_COLUMNS = ("customer_id", "device_id", "external_id", "started_at", "record_type", "zone", "destination",
            "duration_s", "volume_kb", "provider_cost", "cost", "cycle_start")


def _insert_new(rows: list[tuple]) -> int:
    """Insert, skipping (customer, external_id) already present; returns how many were inserted.

    PostgreSQL: COPY into a session-private staging table, then one INSERT … SELECT
    … ON CONFLICT DO NOTHING. SQLite: INSERT OR IGNORE. Both several times faster
    than ORM objects; values are adapted exactly as the ORM would store them.
    """
    if not rows:
        return 0
    ops = connection.ops
    adapted = [
        (c, d, e, ops.adapt_datetimefield_value(started), rt, z, dest, dur, vol,
         ops.adapt_decimalfield_value(pc, 14, 4), None if cost is None else ops.adapt_decimalfield_value(cost, 14, 4),
         ops.adapt_datefield_value(cycle))
        for c, d, e, started, rt, z, dest, dur, vol, pc, cost, cycle in rows
    ]
    table, columns = CDR._meta.db_table, ", ".join(_COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS cdr_import_stage ("
                "customer_id bigint, device_id bigint, external_id varchar(100), started_at timestamptz, "
                "record_type varchar(8), zone varchar(16), destination varchar(64), duration_s integer, "
                "volume_kb bigint, provider_cost numeric(14,4), cost numeric(14,4), cycle_start date"
                ") ON COMMIT DELETE ROWS"
            )
            with cursor.cursor.copy(f"COPY cdr_import_stage ({columns}) FROM STDIN") as copy:
                for row in adapted:
                    copy.write_row(row)
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} FROM cdr_import_stage "
                "ON CONFLICT (customer_id, external_id) DO NOTHING"
            )
            inserted = cursor.rowcount
            cursor.execute("DELETE FROM cdr_import_stage")
            return inserted
        placeholders = ", ".join(["%s"] * len(_COLUMNS))
        cursor.executemany(f"INSERT OR IGNORE INTO {table} ({columns}) VALUES ({placeholders})", adapted)
        return cursor.rowcount


def _devices_for(*, customer: Customer, rows: list[_Row], result: ImportResult) -> dict[str, Device]:
    """The batch's devices by msisdn: existing ones, new ones created, other customers' refused."""
    first_seen: dict[str, dt.date] = {}
    for row in rows:
        day = timezone.localtime(row.started_at).date()
        if row.msisdn not in first_seen or day < first_seen[row.msisdn]:
            first_seen[row.msisdn] = day
    devices = {d.msisdn: d for d in Device.objects.filter(msisdn__in=list(first_seen))}
    missing = [m for m in first_seen if m not in devices]
    if missing:
        Device.objects.bulk_create(
            [Device(msisdn=m, customer=customer, activated_on=first_seen[m]) for m in missing],
            ignore_conflicts=True,
        )
        devices = {d.msisdn: d for d in Device.objects.filter(msisdn__in=list(first_seen))}
    usable: dict[str, Device] = {}
    for msisdn, device in devices.items():
        if device.customer_id != customer.pk:
            continue
        usable[msisdn] = device
        if first_seen[msisdn] < device.activated_on:
            # A record older than the activation date moves it back: the SIM was in use then.
            Device.objects.filter(pk=device.pk, activated_on__gt=first_seen[msisdn]).update(
                activated_on=first_seen[msisdn]
            )
    for row in rows:
        if row.msisdn not in usable:
            result.reject(row.line, "msisdn belongs to another customer")
    return usable


def csv_rows(stream: BinaryIO) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, record) of a CSV byte stream, header checked first. Header = line 1."""
    text = codecs.getreader("utf-8-sig")(stream, errors="strict")
    reader = csv.reader(text)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportRefused("the file is empty") from None
    except UnicodeDecodeError:
        raise ImportRefused("the file is not UTF-8 text") from None
    header = [h.strip() for h in header]
    missing = [c for c in CSV_COLUMNS if c not in header]
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing columns: {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown columns: {', '.join(unknown)}")
        raise ImportRefused(f"the header must be {','.join(CSV_COLUMNS)} ({'; '.join(parts)})")
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError:
            raise ImportRefused(f"the file is not UTF-8 text (after line {reader.line_num})") from None
        except csv.Error as exc:
            raise ImportRefused(f"line {reader.line_num}: {exc}") from None
        line = reader.line_num
        if not values or all(not v.strip() for v in values):
            continue
        if len(values) != len(header):
            yield line, {"__bad__": f"expected {len(header)} fields, got {len(values)}"}
            continue
        yield line, dict(zip(header, values, strict=True))


def cdrs_import_csv(
    *,
    customer: Customer,
    stream: BinaryIO,
    cycle_start: dt.date | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    return cdrs_import_rows(customer=customer, rows=csv_rows(stream), cycle_start=cycle_start, progress=progress)
