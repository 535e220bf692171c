"""Import of CDRs from the CSV of SPEC.md (upload, file-drop provider, CLI) or from rows.

Streamed and batched: memory stays flat however long the file is. Each batch is one
transaction. The database decides what is new: the unique (customer, external_id)
skips records stored before (an earlier or a concurrent import), so importing twice
imports nothing the second time. PostgreSQL stages the batch with COPY and does the
rest set-based (import_postgres); SQLite, the embedded default, types each record in
Python and inserts with INSERT OR IGNORE.
"""

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from typing import BinaryIO

from django.db import connection, transaction

from telcost.customers.models import Customer
from telcost.usage.import_devices import REFUSED_DEVICE, devices_for_batch
from telcost.usage.import_postgres import copy_batch, import_batch_postgres
from telcost.usage.import_rows import CSV_COLUMNS, ParsedRow, RawValues, billing_zone, parse_row
from telcost.usage.models import CDR

__all__ = ["CSV_COLUMNS", "ImportRefused", "ImportResult", "cdrs_import_csv", "cdrs_import_rows", "cdrs_rows_prepare",
           "csv_rows"]

BATCH_SIZE = 20_000
MAX_REPORTED_ERRORS = 1000

# One record on its way in: its line, and its nine texts in CSV_COLUMNS order, or the
# reason it could not be read into them (wrong number of fields, a provider's bad record).
Row = tuple[int, RawValues | str]


class ImportRefused(ValueError):
    """The whole file cannot be imported (bad header, not UTF-8); nothing was imported."""


@dataclass
class ImportResult:
    imported: int = 0
    duplicates: int = 0
    rejected: int = 0
    errors: list[dict] = field(default_factory=list)
    skipped_other_months: int = 0
    refused_devices: int = 0  # of the rejected: their device is another customer's (which may change)

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
    rows: Iterable[Row],
    cycle_start: dt.date | None = None,
    progress: Callable[[int], None] | None = None,
    prepared: list | None = None,
) -> ImportResult:
    """Import (line, values) records. Rows outside cycle_start's month are skipped.

    prepared: what cdrs_rows_prepare made of the same rows, if it was called; used instead of them.
    """
    result = ImportResult()
    seen = 0
    import_batch = import_batch_postgres if connection.vendor == "postgresql" else _import_batch_sqlite
    for batch in _batches(rows, BATCH_SIZE) if prepared is None else prepared:
        with transaction.atomic():
            import_batch(customer=customer, batch=batch, cycle_start=cycle_start, result=result)
        seen += len(batch)
        if progress is not None:
            progress(seen)
    return result


def cdrs_rows_prepare(rows: list[Row]) -> list | None:
    """The part of importing `rows` that needs no database, batch by batch, for cdrs_import_rows(prepared=...).

    Pure Python with no connection, so a thread that reads the next page can do it while this
    thread's import waits on the database. On PostgreSQL that is turning the records into COPY
    text (about a fifth of an import); SQLite's import has nothing to make ahead (None).
    """
    if connection.vendor != "postgresql":
        return None
    return [copy_batch(batch) for batch in _batches(rows, BATCH_SIZE)]


def _import_batch_sqlite(*, customer: Customer, batch: list[Row], cycle_start: dt.date | None,
                         result: ImportResult) -> None:
    parsed: list[ParsedRow] = []
    zone = billing_zone()
    for line, values in batch:
        if isinstance(values, str):
            result.reject(line, values)
            continue
        try:
            row = parse_row(line, values, zone)
        except ValueError as exc:
            result.reject(line, str(exc))
            continue
        if cycle_start is not None and row.cycle_start != cycle_start:
            result.skipped_other_months += 1
            continue
        parsed.append(row)
    if not parsed:
        return
    first_seen: dict[str, dt.date] = {}
    for row in parsed:
        if row.msisdn not in first_seen or row.local_date < first_seen[row.msisdn]:
            first_seen[row.msisdn] = row.local_date
    usable, _ = devices_for_batch(customer=customer, first_seen=first_seen)
    new: dict[str, tuple] = {}
    for row in parsed:
        device_id = usable.get(row.msisdn)
        if device_id is None:
            result.reject(row.line, REFUSED_DEVICE)
            result.refused_devices += 1
            continue
        if row.external_id in new:
            result.duplicates += 1
            continue
        new[row.external_id] = (
            customer.pk, device_id, row.external_id, row.started_at, row.record_type, row.zone, row.destination,
            row.duration_s, row.volume_kb, row.provider_cost,
            # Standard customers pay the provider's price; rate-plan customers' cost is rated later.
            None if customer.is_rateplan else row.provider_cost,
            row.cycle_start,
        )
    inserted = _insert_or_ignore(list(new.values()))
    result.imported += inserted
    result.duplicates += len(new) - inserted


_COLUMNS = ("customer_id", "device_id", "external_id", "started_at", "record_type", "zone", "destination",
            "duration_s", "volume_kb", "provider_cost", "cost", "cycle_start")


def _insert_or_ignore(rows: list[tuple]) -> int:
    """INSERT OR IGNORE, values adapted exactly as the ORM would store them; returns how many were inserted."""
    if not rows:
        return 0
    ops = connection.ops
    adapted = [
        (c, d, e, ops.adapt_datetimefield_value(started), rt, z, dest, dur, vol,
         ops.adapt_decimalfield_value(pc, 14, 4), None if cost is None else ops.adapt_decimalfield_value(cost, 14, 4),
         ops.adapt_datefield_value(cycle))
        for c, d, e, started, rt, z, dest, dur, vol, pc, cost, cycle in rows
    ]
    placeholders = ", ".join(["%s"] * len(_COLUMNS))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT OR IGNORE INTO {CDR._meta.db_table} ({', '.join(_COLUMNS)}) VALUES ({placeholders})", adapted
        )
        return cursor.rowcount


def csv_rows(stream: BinaryIO) -> Iterator[Row]:
    """(line number, values in CSV_COLUMNS order) of a CSV byte stream, header checked first. Header = line 1."""
    # newline="" lets the csv module see the line ends itself (quoted newlines, line numbers).
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="strict", newline="")
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
    width = len(header)
    in_order = itemgetter(*(header.index(c) for c in CSV_COLUMNS))
    try:
        for values in reader:
            # A line of nothing but blanks is not a record; the first value says so for almost every line.
            if not (values and (values[0].strip() or any(v.strip() for v in values))):
                continue
            if len(values) == width:
                yield reader.line_num, in_order(values)
            else:
                yield reader.line_num, f"expected {width} fields, got {len(values)}"
    except UnicodeDecodeError:
        raise ImportRefused(f"the file is not UTF-8 text (after line {reader.line_num})") from None
    except csv.Error as exc:
        raise ImportRefused(f"line {reader.line_num}: {exc}") from None
    finally:
        text.detach()  # the caller owns the stream and closes it


def cdrs_import_csv(
    *,
    customer: Customer,
    stream: BinaryIO,
    cycle_start: dt.date | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    return cdrs_import_rows(customer=customer, rows=csv_rows(stream), cycle_start=cycle_start, progress=progress)
