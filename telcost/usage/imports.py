"""Import of CDRs from the CSV of SPEC.md (upload, file-drop provider, CLI) or from rows.

Streamed and batched: memory stays flat however long the file, or any line in it, is. A
CSV file (cdrs_import_csv) is one transaction: imported whole or not at all; rows
(cdrs_import_rows, a sync's page) a transaction, or savepoint, a batch. Bad records are
rejected with their line and reason and the rest imported; a file that cannot be read as
UTF-8 CSV is refused whole, naming its line. The database decides what is new: the
unique (customer, external_id) skips records stored before (an earlier or a concurrent
import), so importing twice imports nothing the second time. PostgreSQL stages the batch
with COPY and does the rest set-based (import_postgres); SQLite, the embedded default,
types each record in Python and inserts with INSERT OR IGNORE.
"""

import csv
import datetime as dt
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from operator import itemgetter
from typing import BinaryIO

from django.db import connection, transaction

from telcost.customers.models import Customer
from telcost.usage.import_devices import devices_for_batch, refused_device_reason
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


LINE_LIMIT = 64 * 1024  # bytes of one line; a longer one is a rejected record, never read into memory whole
# A record on a line longer than this is checked as it is read and only its stripped values, or
# its reason, go on: a batch of records holds at most a batch of short texts, whatever the file.
_LONG_LINE = 1024
_CHUNK = 1 << 20
_BOM = b"\xef\xbb\xbf"
# The line after the last: a record of its own, unless a quote left open swallows it (the csv
# module would hand such a last record over as if it were whole).
_END = "\x00end of file\n"
_END_RECORD = [_END[:-1]]


class _Lines:
    """The physical lines of a UTF-8 byte stream, each with its "\n", for csv.reader.

    Decoded a chunk at a time (C speed), so a byte that is not UTF-8 is named with its exact
    line. A line longer than LINE_LIMIT never reaches memory whole: its bytes are dropped and it
    stands as an empty line, its number in too_long, so the reader's line numbers stay exact.
    A record that runs on over a whole chunk (a quote that is never closed) is refused at the
    line it began (record_start, kept by csv_rows), not read to the end of the file.
    """

    __slots__ = ("count", "long", "record_start", "stream", "too_long")

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.count = 0  # lines handed to the reader so far
        self.too_long: list[int] = []
        self.long: list[int] = []  # lines over _LONG_LINE characters, not too long
        self.record_start = 1

    def __iter__(self) -> Iterator[str]:
        return chain.from_iterable(self._chunks())

    def _decoded(self, body: bytes) -> str:
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = self.count + body.count(b"\n", 0, exc.start) + 1
            raise ImportRefused(f"line {line}: the file is not UTF-8 text") from None

    def _lines_of(self, body: bytes) -> list[str]:
        """body's lines (it ends with a line end), the too long ones emptied and numbered."""
        text = self._decoded(body)
        if _only_newline_breaks(text):
            lines = text.splitlines(keepends=True)  # in C; the same lines as splitting at "\n" here
        else:
            lines = [line + "\n" for line in text.split("\n")]
            lines.pop()  # the "\n" after the last line end
        if lines and max(map(len, lines)) > _LONG_LINE:  # one pass in C; the loop only for the rare chunk
            for index, line in enumerate(lines):
                if len(line) <= _LONG_LINE:
                    continue
                if len(line.rstrip("\r\n").encode()) > LINE_LIMIT:
                    lines[index] = "\n"
                    self.too_long.append(self.count + index + 1)
                elif len(line) > _LONG_LINE:
                    self.long.append(self.count + index + 1)
        self.count += len(lines)
        return lines

    def _chunks(self) -> Iterator[list[str]]:
        pending = b""  # the start of a line whose end is not read yet
        dropping = False  # inside a line over LINE_LIMIT: its bytes are dropped up to its end
        chunk_start = None  # the first line of the chunk before, if it was over LINE_LIMIT
        chunk = self.stream.read(_CHUNK)
        if chunk.startswith(_BOM):
            chunk = chunk[len(_BOM):]
        while chunk:
            if chunk_start is not None and self.record_start <= chunk_start:
                raise ImportRefused(
                    f"line {self.record_start}: a record that does not end (a quote that is not closed?)"
                )
            chunk_start = self.count + 1 if len(chunk) > LINE_LIMIT and not dropping else None
            if dropping:
                end_of_long = chunk.find(b"\n") + 1
                if end_of_long:
                    dropping = False
                    self.count += 1
                    self.too_long.append(self.count)
                    chunk = chunk[end_of_long:]
                    yield ["\n"]
            if not dropping:
                end = chunk.rfind(b"\n") + 1
                if end:
                    yield self._lines_of(pending + chunk[:end])
                    pending = chunk[end:]
                else:
                    pending += chunk
                if len(pending) > LINE_LIMIT:
                    dropping, pending = True, b""
            chunk = self.stream.read(_CHUNK)
        if dropping:
            self.count += 1
            self.too_long.append(self.count)
            yield ["\n"]
        elif pending:
            yield self._lines_of(pending + b"\n")
        if self.count:
            yield [_END]


# What str.splitlines breaks lines at besides "\n"; a CSV line ends at "\n" only ("\r\n" included).
_OTHER_BREAKS = ("\r", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


def _only_newline_breaks(text: str) -> bool:
    """Whether text's lines are the same split by str.splitlines (a few scans in C) as at "\n"."""
    return not any(brk in text for brk in _OTHER_BREAKS)


def _first_at_or_before(numbers: list[int], line: int) -> int:
    """The first of the ascending numbers, all of them up to line taken out of the list."""
    first = numbers[0]
    del numbers[: bisect_right(numbers, line)]
    return first


def csv_rows(stream: BinaryIO) -> Iterator[Row]:
    """(line number, values in CSV_COLUMNS order) of a CSV byte stream, header checked first. Header = line 1.

    A record's line is the line it ends on. A file that is not UTF-8 text or not CSV (a quote
    that is never closed) is refused whole with the line where that starts (ImportRefused).
    """
    lines = _Lines(stream)
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportRefused("the file is empty") from None
    except csv.Error as exc:
        raise ImportRefused(f"line 1: {_csv_error(exc)}") from None
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
    too_long, long = lines.too_long, lines.long
    ended = False
    values: list[str] = []
    try:
        for values in reader:
            end = lines.record_start = reader.line_num
            lines.record_start += 1
            if too_long and too_long[0] <= end:
                line = _first_at_or_before(too_long, end)
                yield line, f"line {line} is longer than {LINE_LIMIT // 1024} KB"
                continue
            # A line of nothing but blanks is not a record; the first value says so for almost every line.
            if not (values and (values[0].strip() or any(v.strip() for v in values))):
                continue
            if len(values) != width:
                if values == _END_RECORD:
                    ended = True
                    continue
                yield end, f"expected {width} fields, got {len(values)}"
            elif long and long[0] <= end:
                _first_at_or_before(long, end)
                yield end, _long_record(end, in_order(values))
            else:
                yield end, in_order(values)
    except csv.Error as exc:
        raise ImportRefused(f"line {lines.record_start}: {_csv_error(exc)}") from None
    if not ended:
        # The last record ran on into the end line: it began a line before each line end it holds.
        start = reader.line_num - "".join(values).count("\n") + 1
        raise ImportRefused(f"line {start}: a quote that is not closed before the end of the file")


def _csv_error(exc: csv.Error) -> str:
    if "new-line character" in str(exc):  # the csv module's advice is for programmers
        return "a line ends in a carriage return alone: save the file with \\n or \\r\\n line ends"
    return str(exc)


def _long_record(line: int, values: RawValues) -> RawValues | str:
    """A record on a long line: its stripped values if it is valid (so it holds little), else its reason."""
    stripped = tuple(v.strip() for v in values)
    try:
        parse_row(line, stripped)
    except ValueError as exc:
        return str(exc)
    return stripped


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
