"""Import of CDRs from the CSV of SPEC.md (upload, file-drop provider, CLI) or from rows.

Streamed and batched: memory stays flat however long the file, or any line in it, is. A
CSV file (cdrs_import_csv) is one transaction: imported whole or not at all; rows
(cdrs_import_rows, a sync's page) a transaction, or savepoint, a batch. Bad records are
rejected with their line and reason and the rest imported; a file that cannot be read as
UTF-8 CSV is refused whole, naming its line. The database decides what is new: the
unique (customer, external_id) skips records stored before (an earlier or a concurrent
import), so importing twice imports nothing the second time. PostgreSQL stages the batch
with COPY and does the rest set-based (postgres.py); SQLite, the embedded default (sqlite.py),
types each record in Python and inserts with INSERT OR IGNORE.
"""

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, NamedTuple

from django.db import connection, transaction

from telcost.core.cdr_format import Row, csv_rows
from telcost.customers.models import Customer
from telcost.usage.imports.postgres import copy_batch, import_batch_postgres
from telcost.usage.imports.sqlite import import_batch_sqlite
from telcost.usage.models import CDR
from telcost.usage.sql import statistics_refresh_on_commit

BATCH_SIZE = 20_000
MAX_REPORTED_ERRORS = 1000
# From this many new records on, an import refreshes the planner's statistics of the CDR table
# when it commits. A new customer-month is invisible to the planner until the next ANALYZE, and
# autovacuum gets there after the user's next click: an export right after a 300,000-CDR
# import took 11.7 s against 1.2 s with fresh statistics. Fewer records move no plan.
ANALYZE_AFTER_IMPORTED = 10_000


class _Dialect(NamedTuple):
    """The database's half of an import: postgres.py or sqlite.py."""

    import_batch: Callable[..., None]
    # What a thread reading ahead can make of a batch without the database, or None: nothing.
    prepare_batch: Callable[[list], object] | None


_DIALECTS = {
    "postgresql": _Dialect(import_batch_postgres, copy_batch),
    "sqlite": _Dialect(import_batch_sqlite, None),
}


def _dialect() -> _Dialect:
    return _DIALECTS[connection.vendor]


@dataclass
class ImportResult:
    imported: int = 0
    duplicates: int = 0
    rejected: int = 0
    errors: list[dict] = field(default_factory=list)
    skipped_other_months: int = 0
    refused_devices: int = (
        0  # of the rejected: their device is another customer's (which may change)
    )

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
    import_batch = _dialect().import_batch
    for batch in _batches(rows, BATCH_SIZE) if prepared is None else prepared:
        with transaction.atomic():
            import_batch(
                customer=customer,
                batch=batch,
                cycle_start=cycle_start,
                result=result,
                own_devices_only=own_devices_only,
            )
        seen += len(batch)
        if progress is not None:
            progress(seen)
    return result


def cdrs_rows_prepare(rows: list[Row]) -> list | None:
    """The part of importing `rows` that needs no database, batch by batch, for
    cdrs_import_rows(prepared=...).

    Pure Python with no connection, so a thread that reads the next page can do it while this
    thread's import waits on the database. On PostgreSQL that is turning the records into COPY
    text (about a fifth of an import); SQLite's import has nothing to make ahead (None).
    """
    prepare_batch = _dialect().prepare_batch
    if prepare_batch is None:
        return None
    return [prepare_batch(batch) for batch in _batches(rows, BATCH_SIZE)]


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
        result = cdrs_import_rows(
            customer=customer,
            rows=csv_rows(stream),
            cycle_start=cycle_start,
            progress=progress,
            own_devices_only=own_devices_only,
        )
    cdrs_statistics_refresh(imported=result.imported)
    return result


def cdrs_statistics_refresh(*, imported: int) -> None:
    """After an import of `imported` new records commits (at once outside a transaction): the
    planner's statistics of the CDR table refreshed if the import was big enough to move a plan
    (ANALYZE_AFTER_IMPORTED). A refresh that fails is logged, never the import's failure."""
    statistics_refresh_on_commit(
        CDR._meta.db_table, written=imported, threshold=ANALYZE_AFTER_IMPORTED
    )
