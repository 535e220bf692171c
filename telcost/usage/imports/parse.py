"""The PostgreSQL import's fast path: a record recognised as canonical text at C speed.

canonical_text is one regular expression that accepts only a strict subset of what
parse_row (telcost.core.cdr_format) accepts, in exactly the form PostgreSQL's COPY reads
the same way; whatever it does not accept goes through parse_row.
"""

import datetime as dt
import re
import sys

from telcost.core.cdr_format import RECORD_TYPES, ZONES, ParsedRow, RawValues
from telcost.usage.models import RecordType, Zone

# The wire format names the same values as the models (it cannot import them).
assert set(RECORD_TYPES) == set(RecordType.values) and set(ZONES) == set(Zone.values)

# --- The fast path: canonical text, ready for COPY
# --------------------------------------------------

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
            # external_id: 1-100 characters, nothing to strip
            rf"{_EDGE}(?:{_CHAR}{{0,98}}{_EDGE})?",
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
    return (
        text.replace("\\", "\\\\")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace(SEPARATOR, "\\" + SEPARATOR)
    )


def parsed_text(row: ParsedRow) -> str:
    """A record parse_row accepted in a form it did not take from the fast path, as COPY text."""
    return SEPARATOR.join(
        [
            _copy_escaped(row.external_id),
            row.msisdn,
            row.started_at.isoformat(),
            row.record_type,
            row.zone,
            _copy_escaped(row.destination),
            str(row.duration_s),
            str(row.volume_kb),
            str(row.provider_cost),
        ]
    )
