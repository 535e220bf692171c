"""One CDR record's values: checked and typed (parse_row), or recognised as canonical text at C speed.

A record reaches the import as the nine texts of CSV_COLUMNS in that order (a CSV
row, or a provider's JSON record turned into texts), or as the reason it could not
be read at all (a str). parse_row is the definition of a valid record and gives the
reason a person can act on. canonical_text is the PostgreSQL import's fast path: one
regular expression that accepts only a strict subset of what parse_row accepts, in
exactly the form PostgreSQL's COPY reads the same way; whatever it does not accept
goes through parse_row.
"""

import datetime as dt
import re
import sys
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings

from telcost.usage.models import RecordType, Zone

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

_RECORD_TYPES = set(RecordType.values)
_ZONES = set(Zone.values)
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
    local_date: dt.date  # the day in the billing time zone: names the cycle and a new device's activation

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


def parse_row(line: int, values: RawValues, zone=None) -> ParsedRow:
    """Check and type one record; ValueError with a reason a person can act on."""
    (external_id, msisdn, started_text, record_type, cdr_zone, destination, duration_text, volume_text,
     cost_text) = (v.strip() for v in values)
    _storable(values)
    if not external_id:
        raise ValueError("external_id is empty")
    if len(external_id) > 100:
        raise ValueError("external_id is longer than 100 characters")
    if not msisdn.isdigit() or not msisdn.isascii() or not 6 <= len(msisdn) <= 20:
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
    return ParsedRow(line, external_id, msisdn, started_at, record_type, cdr_zone, destination, duration_s,
                     volume_kb, provider_cost, local_date)


# --- The fast path: canonical text, ready for COPY --------------------------------------------------

# Values are joined with this (ASCII unit separator) for one match over the whole record, and the
# same line goes to COPY with it as the delimiter: the fast path never builds a value of its own.
SEPARATOR = "\x1f"
# Python's whitespace (what str.strip removes), so an accepted value is one strip would leave alone.
_SPACE = "".join(re.escape(chr(c)) for c in range(sys.maxunicode + 1) if chr(c).isspace())
# No control characters, backslash (COPY's escape), or lone surrogates (not storable) anywhere.
_CHAR = r"[^\x00-\x1f\x7f\\\ud800-\udfff]"
_EDGE = rf"[^\x00-\x1f\x7f\\\ud800-\udfff{_SPACE}]"
_D = "[0-9]"  # \d would take any Unicode digit
_CANONICAL = re.compile(
    SEPARATOR.join(
        [
            rf"{_EDGE}(?:{_CHAR}{{0,98}}{_EDGE})?",  # external_id: 1-100 characters, nothing to strip
            rf"{_D}{{6,20}}",  # msisdn
            # started_at: the ISO form PostgreSQL and fromisoformat read alike; offsets within
            # PostgreSQL's range. fromisoformat then checks the date itself (no 30 February).
            rf"[1-9]{_D}{{3}}-{_D}{{2}}-{_D}{{2}}T(?:[01]{_D}|2[0-3]):[0-5]{_D}:[0-5]{_D}(?:\.{_D}{{1,6}})?"
            rf"(?:[+-](?:0{_D}|1[0-4]):[0-5]{_D}|Z)",
            "(?:voice|sms|data)",
            "(?:national|eu|international)",
            rf"(?:{_EDGE}(?:{_CHAR}{{0,62}}{_EDGE})?)?",  # destination: 0-64 characters
            rf"{_D}{{1,9}}",  # duration_s, well below 2**31
            rf"{_D}{{1,18}}",  # volume_kb, well below 2**62
            rf"-?{_D}{{1,10}}(?:\.{_D}{{1,4}})?",  # provider_cost: numeric(14, 4)
        ]
    )
)
_from_iso = dt.datetime.fromisoformat


def canonical_text(values: RawValues) -> str | None:
    """The record's values joined by SEPARATOR when they are canonical and valid, else None."""
    joined = SEPARATOR.join(values)
    if _CANONICAL.fullmatch(joined) is None:
        return None
    try:
        _from_iso(values[2])
    except ValueError:
        return None
    return joined


def _copy_escaped(text: str) -> str:
    return (text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
            .replace(SEPARATOR, "\\" + SEPARATOR))


def parsed_text(row: ParsedRow) -> str:
    """A record parse_row accepted in a form it did not take from the fast path, as COPY text."""
    return SEPARATOR.join([
        _copy_escaped(row.external_id), row.msisdn, row.started_at.isoformat(), row.record_type, row.zone,
        _copy_escaped(row.destination), str(row.duration_s), str(row.volume_kb), str(row.provider_cost),
    ])
