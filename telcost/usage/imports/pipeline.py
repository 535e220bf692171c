"""Import of CDRs from the CSV of SPEC.md (upload, file-drop provider, CLI) or from rows.

Streamed and batched: memory stays flat however long the file, or any line in it, is. A
CSV file (cdrs_import_csv) is one transaction: imported whole or not at all; rows
(cdrs_import_rows, a sync's page) a transaction, or savepoint, a batch. Bad records are
rejected with their line and reason and the rest imported; a file that cannot be read as
UTF-8 CSV is refused whole, naming its line. The database decides what is new: the
unique (customer, external_id) skips records stored before (an earlier or a concurrent
import), so importing twice imports nothing the second time. PostgreSQL stages the batch
with COPY and does the rest set-based (postgres.py); SQLite, the embedded default,
types each record in Python and inserts with INSERT OR IGNORE.
"""

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from django.db import connection, transaction

from telcost.core.cdr_format import ParsedRow, Row, billing_zone, csv_rows, parse_row
from telcost.customers.models import Customer
from telcost.usage.imports.devices import devices_for_batch, refused_device_reason
from telcost.usage.imports.postgres import copy_batch, import_batch_postgres
from telcost.usage.models import CDR

BATCH_SIZE = 20_000
MAX_REPORTED_ERRORS = 1000

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
    own_devices_only: bool = False,
) -> ImportResult:
    """Import (line, values) records. Rows outside cycle_start's month are skipped.

    prepared: what cdrs_rows_prepare made of the same rows, if it was called; used instead of them.
    own_devices_only: records of msisdns that are not devices of the customer are rejected (an
    upload by a customer's own user) rather than new ones created (staff, syncs).
    """
    result = ImportResult()
    seen = 0
    import_batch = import_batch_postgres if connection.vendor == "postgresql" else _import_batch_sqlite
    for batch in _batches(rows, BATCH_SIZE) if prepared is None else prepared:
        with transaction.atomic():
            import_batch(customer=customer, batch=batch, cycle_start=cycle_start, result=result,
                         own_devices_only=own_devices_only)
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
                         result: ImportResult, own_devices_only: bool) -> None:
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
    usable, _ = devices_for_batch(customer=customer, first_seen=first_seen, own_devices_only=own_devices_only)
    refusal = refused_device_reason(own_devices_only)
    new: dict[str, tuple] = {}
    for row in parsed:
        device_id = usable.get(row.msisdn)
        if device_id is None:
            result.reject(row.line, refusal)
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


def cdrs_import_csv(
    *,
    customer: Customer,
    stream: BinaryIO,
    cycle_start: dt.date | None = None,
    progress: Callable[[int], None] | None = None,
    own_devices_only: bool = False,
) -> ImportResult:
    """A file imported whole or not at all: one transaction, so a file found unreadable half-way
    (ImportRefused) or an import that fails leaves none of its records (nor devices) behind.

    progress is called inside that transaction: it must not write rows another connection
    writes too (a step's heartbeat), or both wait on each other.
    """
    with transaction.atomic():
        return cdrs_import_rows(customer=customer, rows=csv_rows(stream), cycle_start=cycle_start,
                                progress=progress, own_devices_only=own_devices_only)
