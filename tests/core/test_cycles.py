import datetime as dt

import pytest

from telcost.core.cycles import (
    BadCycle,
    cycle_end_of,
    cycle_start_of,
    months_between,
    parse_cycle_date,
    parse_month,
)


def test_a_utc_timestamp_late_on_the_last_day_belongs_to_the_next_local_month():
    assert cycle_start_of(dt.datetime(2026, 3, 31, 23, 30, tzinfo=dt.UTC)) == dt.date(2026, 4, 1)
    assert cycle_start_of(dt.datetime(2026, 3, 31, 21, 30, tzinfo=dt.UTC)) == dt.date(2026, 3, 1)


def test_any_date_names_its_month():
    assert parse_cycle_date("2026-09-17") == dt.date(2026, 9, 1)
    assert parse_cycle_date("2026-09") == dt.date(2026, 9, 1)
    assert cycle_end_of(dt.date(2028, 2, 1)) == dt.date(2028, 2, 29)


@pytest.mark.parametrize("bad", ["", "2026-13", "2026-9-1x", "yesterday", "2026-02-30"])
def test_bad_dates_are_refused(bad):
    with pytest.raises(BadCycle):
        parse_cycle_date(bad)
    if bad != "2026-02-30":
        with pytest.raises(BadCycle):
            parse_month(bad)


def test_months_between_is_inclusive():
    assert months_between(dt.date(2025, 11, 20), dt.date(2026, 2, 3)) == [
        dt.date(2025, 11, 1),
        dt.date(2025, 12, 1),
        dt.date(2026, 1, 1),
        dt.date(2026, 2, 1),
    ]


@pytest.mark.parametrize(
    "bad",
    [
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:00+00:00",
        "9999-12-31",
        "9999-12",
        "0001-01-01",
        "1899-12",
    ],
)
def test_dates_at_the_ends_of_the_calendar_are_refused_not_crashed_on(bad):
    # A month whose neighbours or local time fall outside datetime's range cannot be a billing
    # cycle;
    # these once escaped as OverflowError (a 500) or queued a chain that could only fail.
    with pytest.raises(BadCycle):
        parse_cycle_date(bad)


def test_recent_cycles_are_newest_first_across_a_year_end():
    from telcost.core.cycles import recent_cycles

    assert recent_cycles(3, today=dt.date(2026, 2, 14)) == [
        dt.date(2026, 2, 1),
        dt.date(2026, 1, 1),
        dt.date(2025, 12, 1),
    ]
