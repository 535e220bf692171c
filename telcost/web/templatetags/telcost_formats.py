"""Values as a page shows them, in the reader's language: `{% load telcost_formats %}{{ total|money
}}`.

    money           € 7.482,31 (nl) · €7,482.31 (en); 2 decimals, the API and exports keep 4
    count           18.000 · 18,000
    number:1        12,5 · 12.5
    percentage      12,5% · 12.5%
    duration        seconds as h:mm:ss: 58:58:37
    volume          KB as MB or GB (1 MB = 1024 KB): 16,97 GB · 16.97 GB
    local_datetime  a datetime or ISO text in Europe/Amsterdam: 1-12-2026 11:29 · 1 Dec 2026, 11:29
    local_date      1-12-2026 · 1 Dec 2026
    local_time      11:29
    month_name      a date or "2026-09[-01]": september 2026 · September 2026
    elapsed         {{ started|elapsed:finished }}: the time between them as h:mm:ss

The separators come from Django's localisation of the active language (get_format);
the formatting itself is telcost.core.formatting's, shared with the tables rendered in
Python (usage_tables). Nothing here writes an ISO timestamp.
"""

import datetime as dt

from django import template
from django.utils import formats, timezone

from telcost.core import formatting
from telcost.core.formatting import number_style

register = template.Library()


@register.filter
def money(value, places=2) -> str:
    # places: 2 for amounts; a price list (per minute, per MB) shows 4 (`price|money:4`).
    return formatting.money_text(value, number_style(), int(places))


@register.filter
def count(value) -> str:
    return formatting.count_text(value, number_style())


@register.filter
def number(value, places=0) -> str:
    return formatting.number_text(value, number_style(), int(places))


@register.filter
def percentage(value, places=1) -> str:
    return formatting.percent_text(value, number_style(), int(places))


@register.filter
def duration(seconds) -> str:
    return formatting.duration_text(seconds)


@register.filter
def volume(kb) -> str:
    return formatting.volume_text(kb, number_style())


def as_moment(value) -> dt.datetime | dt.date | None:
    """A datetime or date of a value or of its ISO text; an aware datetime in local time
    (Europe/Amsterdam)."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            value = (
                dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(text)
            )
        except ValueError:
            try:
                value = dt.date.fromisoformat(f"{text[:7]}-01")  # "2026-09"
            except ValueError:
                return None
    if isinstance(value, dt.datetime):
        return timezone.localtime(value) if timezone.is_aware(value) else value
    return value if isinstance(value, dt.date) else None


def _formatted(value, format_name: str, *, date_only: bool = False) -> str:
    moment = as_moment(value)
    if moment is None:
        return "" if value in (None, "") else str(value)
    if date_only and isinstance(moment, dt.datetime):
        moment = moment.date()
    if format_name == "TIME_FORMAT":
        return formats.time_format(moment, format_name) if isinstance(moment, dt.datetime) else ""
    if not isinstance(moment, dt.datetime) and "DATETIME" in format_name:
        format_name = "SHORT_DATE_FORMAT"
    return formats.date_format(moment, format_name)


@register.filter(expects_localtime=True)
def local_datetime(value) -> str:
    return _formatted(value, "SHORT_DATETIME_FORMAT")


@register.filter(expects_localtime=True)
def local_date(value) -> str:
    return _formatted(value, "SHORT_DATE_FORMAT", date_only=True)


@register.filter(expects_localtime=True)
def local_time(value) -> str:
    return _formatted(value, "TIME_FORMAT")


@register.filter
def month_name(value) -> str:
    return _formatted(value, "YEAR_MONTH_FORMAT", date_only=True)


@register.filter
def elapsed(start, end) -> str:
    """The time from start to end as h:mm:ss ("0:00:03"), "" when either is missing."""
    start, end = as_moment(start), as_moment(end)
    if not isinstance(start, dt.datetime) or not isinstance(end, dt.datetime):
        return ""
    return formatting.duration_text((end - start).total_seconds())
