"""Billing cycles: calendar months in TIME_ZONE (Europe/Amsterdam).

A cycle is named by its first day (cycle_start). Any date or datetime within a
month names that month's cycle; a datetime is first converted to local time, so
23:30 UTC on 31 March is already April in Amsterdam (in summer time).
"""

import datetime as dt
import re

from django.utils import timezone

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
# Cycles need a next month and a local time that datetime can hold; nothing real is outside this.
MIN_YEAR, MAX_YEAR = 1900, 9998


class BadCycle(ValueError):
    """A month or date that names no cycle; the message is fit for a 400 answer."""


def cycle_start_of(value: dt.date | dt.datetime) -> dt.date:
    if isinstance(value, dt.datetime):
        if timezone.is_naive(value):
            raise BadCycle("a timestamp needs a UTC offset")
        value = timezone.localtime(value).date()
    return value.replace(day=1)


def cycle_end_of(cycle_start: dt.date) -> dt.date:
    """The last day of the cycle."""
    return next_cycle(cycle_start) - dt.timedelta(days=1)


def next_cycle(cycle_start: dt.date) -> dt.date:
    return (cycle_start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def previous_cycle(cycle_start: dt.date) -> dt.date:
    return (cycle_start.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def day_start(day: dt.date) -> dt.datetime:
    """The instant the local day begins, as an aware datetime in the local time zone."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_default_timezone())


def cycle_bounds(cycle_start: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of the cycle as aware datetimes in the local time zone."""
    return day_start(cycle_start), day_start(next_cycle(cycle_start))


def parse_month(text: str) -> dt.date:
    """'YYYY-MM' -> the cycle's first day."""
    match = _MONTH.match((text or "").strip())
    if not match:
        raise BadCycle(f"month must be YYYY-MM, got {text!r}")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12 or not MIN_YEAR <= year <= MAX_YEAR:
        raise BadCycle(f"no such month: {text!r}")
    return dt.date(year, month, 1)


def parse_cycle_date(text: str) -> dt.date:
    """An ISO date (or YYYY-MM, or an ISO datetime) naming a cycle -> the cycle's first day."""
    text = (text or "").strip()
    if _MONTH.match(text):
        return parse_month(text)
    try:
        if "T" in text or " " in text:
            parsed = dt.datetime.fromisoformat(text)
            if timezone.is_naive(parsed):
                parsed = timezone.make_aware(parsed)
            cycle_start = cycle_start_of(parsed)
        else:
            cycle_start = cycle_start_of(dt.date.fromisoformat(text))
    except (ValueError, OverflowError):
        raise BadCycle(f"not a valid date: {text!r}") from None
    if not MIN_YEAR <= cycle_start.year <= MAX_YEAR:
        raise BadCycle(f"no such month: {text!r}")
    return cycle_start


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every cycle from first's month to last's month, inclusive."""
    months, current, end = [], cycle_start_of(first), cycle_start_of(last)
    while current <= end:
        months.append(current)
        current = next_cycle(current)
    return months


def recent_cycles(count: int, today: dt.date | None = None) -> list[dt.date]:
    """The current cycle and the `count - 1` before it, newest first (month pickers)."""
    months, current = [], cycle_start_of(today or timezone.localdate())
    for _ in range(count):
        months.append(current)
        current = previous_cycle(current)
    return months
