"""The CDR wire format: the nine columns, what a valid record is (parse_row), the CSV reader.

A record reaches the import as the nine texts of CSV_COLUMNS in that order (a CSV
row, or a provider's JSON record turned into texts), or as the reason it could not
be read at all (a str). parse_row is the definition of a valid record and gives the
reason a person can act on. csv_rows reads a CSV byte stream into such records; the
file-drop provider and the import service both read files with it.
"""

import csv
import datetime as dt
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from itertools import chain
from operator import itemgetter
from typing import BinaryIO

from django.conf import settings

CSV_COLUMNS = (
    "external_id",
    "msisdn",
    "started_at",
    "record_type",
    "zone",
    "destination",
    "duration_s",
    "volume_kb",
    "provider_cost",
)
RawValues = tuple[str, ...]
# The values of usage.models.RecordType and Zone (core imports no app; usage checks they agree).
RECORD_TYPES = ("voice", "sms", "data")
ZONES = ("national", "eu", "international")

# One record on its way in: its line, and its nine texts in CSV_COLUMNS order, or the
# reason it could not be read into them (wrong number of fields, a provider's bad record).
Row = tuple[int, RawValues | str]


class ImportRefused(ValueError):
    """The whole file cannot be imported (bad header, not UTF-8); nothing was imported."""


_RECORD_TYPES = set(RECORD_TYPES)
_ZONES = set(ZONES)
_MAX_COST = Decimal("9999999999.9999")
_MAX_DURATION_S = 2**31 - 1
_MAX_VOLUME_KB = 2**62


@dataclass(slots=True)
class ParsedRow:
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
    local_date: (
        dt.date
    )  # the day in the billing time zone: names the cycle and a new device's activation

    @property
    def cycle_start(self) -> dt.date:
        return self.local_date.replace(day=1)


def billing_zone():
    """Cycles are calendar months in settings.TIME_ZONE, whatever time zone a request activated."""
    from zoneinfo import ZoneInfo

    return ZoneInfo(settings.TIME_ZONE)


def _whole_number(value: str, name: str, maximum: int) -> int:
    text = value.strip()
    if not text.isdigit():
        raise ValueError(f"{name} must be a whole number >= 0, got {value!r}")
    try:
        number = int(text)
    except ValueError:  # digits int() does not read, such as '²'
        raise ValueError(f"{name} must be a whole number >= 0, got {value!r}") from None
    if number > maximum:
        raise ValueError(f"{name} is too large: {value!r}")
    return number


def _storable(values: RawValues) -> None:
    """Text neither database can hold would fail the whole batch, not just its record."""
    text = "".join(values)
    if "\x00" in text:
        raise ValueError("the record contains a NUL character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("the record contains text that is not valid Unicode") from None


def msisdn_valid(text: str) -> bool:
    """An msisdn as devices and CDRs carry it: 6 to 20 ASCII digits."""
    return text.isascii() and text.isdigit() and 6 <= len(text) <= 20


def parse_row(line: int, values: RawValues, zone=None) -> ParsedRow:
    """Check and type one record; ValueError with a reason a person can act on."""
    (
        external_id,
        msisdn,
        started_text,
        record_type,
        cdr_zone,
        destination,
        duration_text,
        volume_text,
        cost_text,
    ) = (v.strip() for v in values)
    _storable(values)
    if not external_id:
        raise ValueError("external_id is empty")
    if len(external_id) > 100:
        raise ValueError("external_id is longer than 100 characters")
    if not msisdn_valid(msisdn):
        raise ValueError(f"msisdn must be 6 to 20 digits, got {values[1]!r}")
    try:
        started_at = dt.datetime.fromisoformat(started_text)
    except ValueError:
        raise ValueError(f"started_at is not an ISO 8601 timestamp: {started_text!r}") from None
    if started_at.utcoffset() is None:
        raise ValueError(f"started_at needs a UTC offset: {started_text!r}")
    try:
        # Kept in UTC: the form both databases store, and one COPY reads back the same.
        local_date = started_at.astimezone(zone or billing_zone()).date()
        started_at = started_at.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError(f"started_at is out of range: {started_text!r}") from None
    if record_type not in _RECORD_TYPES:
        raise ValueError(f"record_type must be voice, sms or data, got {record_type!r}")
    if cdr_zone not in _ZONES:
        raise ValueError(f"zone must be national, eu or international, got {cdr_zone!r}")
    if len(destination) > 64:
        raise ValueError("destination is longer than 64 characters")
    duration_s = _whole_number(values[6], "duration_s", _MAX_DURATION_S)
    volume_kb = _whole_number(values[7], "volume_kb", _MAX_VOLUME_KB)
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
    return ParsedRow(
        line,
        external_id,
        msisdn,
        started_at,
        record_type,
        cdr_zone,
        destination,
        duration_s,
        volume_kb,
        provider_cost,
        local_date,
    )


LINE_LIMIT = (
    64 * 1024
)  # bytes of one line; a longer one is a rejected record, never read into memory whole
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
        if (
            lines and max(map(len, lines)) > _LONG_LINE
        ):  # one pass in C; the loop only for the rare chunk
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
            chunk = chunk[len(_BOM) :]
        while chunk:
            if chunk_start is not None and self.record_start <= chunk_start:
                raise ImportRefused(
                    f"line {self.record_start}: a record that does not end (a quote that is not "
                    f"closed?)"
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
    """(line number, values in CSV_COLUMNS order) of a CSV byte stream, header checked first. Header
    = line 1.

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
            # A line of nothing but blanks is not a record; the first value says so for almost every
            # line.
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
    """A record on a long line: its stripped values if it is valid (so it holds little), else its
    reason."""
    stripped = tuple(v.strip() for v in values)
    try:
        parse_row(line, stripped)
    except ValueError as exc:
        return str(exc)
    return stripped
