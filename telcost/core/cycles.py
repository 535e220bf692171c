"""Billing cycles: calendar months in TIME_ZONE (Europe/Amsterdam).

A cycle is named by its first day (cycle_start). Any date or datetime within a
month names that month's cycle; a datetime is first converted to local time, so
23:30 UTC on 31 March is already April in Amsterdam (in summer time).
"""

import datetime as dt
import re

from django.utils import timezone
from django.utils.translation import gettext as _

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
# Cycles need a next month and a local time that datetime can hold; nothing real is outside this.
MIN_YEAR, MAX_YEAR = 1900, 9998
# The first month a user may ask for (SPEC "Months"); the last is the current one.
EARLIEST_REQUESTED_MONTH = dt.date(2000, 1, 1)


class BadCycle(ValueError):
    """A month or date that names no cycle; the message is fit for a 400 answer."""


def cycle_start_of(value: dt.date | dt.datetime) -> dt.date:
    if isinstance(value, dt.datetime):
        if timezone.is_naive(value):
            raise BadCycle(_("a timestamp needs a UTC offset"))
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


def _named_cycle(text: str) -> dt.date:
    """YYYY-MM, an ISO date or an ISO datetime -> the first day of its cycle (any year)."""
    text = (text or "").strip()
    match = _MONTH.match(text)
    try:
        if match:
            return dt.date(int(match.group(1)), int(match.group(2)), 1)
        if "T" in text or " " in text:
            parsed = dt.datetime.fromisoformat(text)
            if timezone.is_naive(parsed):
                parsed = timezone.make_aware(parsed)
            return cycle_start_of(parsed)
        return cycle_start_of(dt.date.fromisoformat(text))
    except (ValueError, OverflowError):
        raise BadCycle(_("not a valid date: %(text)r") % {"text": text}) from None


def _within_years(cycle_start: dt.date, text: str) -> dt.date:
    if not MIN_YEAR <= cycle_start.year <= MAX_YEAR:
        raise BadCycle(_("no such month: %(text)r") % {"text": text})
    return cycle_start


def parse_month(text: str) -> dt.date:
    """'YYYY-MM' -> the cycle's first day."""
    if not _MONTH.match((text or "").strip()):
        raise BadCycle(_("month must be YYYY-MM, got %(text)r") % {"text": text})
    return _within_years(_named_cycle(text), text)


def parse_cycle_date(text: str) -> dt.date:
    """An ISO date (or YYYY-MM, or an ISO datetime) naming a cycle -> the cycle's first day."""
    return _within_years(_named_cycle(text), text)


def requested_month(
    value: str | dt.date, *, month_only: bool = False, today: dt.date | None = None
) -> dt.date:
    """The month a user asks for (to recalculate, sync, export or read), as its cycle's first day.

    `value` is a date or text (YYYY-MM, or unless `month_only` an ISO date or datetime). Only
    2000-01 up to the current month (Europe/Amsterdam) names a month that can have a bill;
    anything else is BadCycle with the month named, so a future month never becomes a
    subscription-only bill.
    """
    if month_only and not _MONTH.match((value or "").strip()):
        raise BadCycle(_("month must be YYYY-MM, got %(text)r") % {"text": value})
    cycle_start = _named_cycle(value) if isinstance(value, str) else cycle_start_of(value)
    name = f"{cycle_start.year:04d}-{cycle_start.month:02d}"
    if cycle_start > cycle_start_of(today or timezone.localdate()):
        raise BadCycle(_("%(month)s is in the future") % {"month": name})
    if cycle_start < EARLIEST_REQUESTED_MONTH:
        raise BadCycle(_("%(month)s is before 2000-01") % {"month": name})
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
    for _step in range(count):
        months.append(current)
        current = previous_cycle(current)
    return months
