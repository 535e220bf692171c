"""Numbers, money, durations, volumes and times as pages write them, in Dutch and in English (issue
17.1)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import translation

from telcost.core import formatting
from telcost.web.templatetags import telcost_formats as f
from tests.web.finance_month import finance_month

NL = formatting.NumberStyle(",", ".", formatting.MONEY_PATTERNS["nl"])
EN = formatting.NumberStyle(".", ",", formatting.MONEY_PATTERNS["en"])


@pytest.mark.parametrize(
    ("value", "nl", "en"),
    [
        (Decimal("7482.3056"), "€ 7.482,31", "€7,482.31"),
        ("7482.3056", "€ 7.482,31", "€7,482.31"),
        ("0.005", "€ 0,01", "€0.01"),  # half up, as an invoice rounds
        ("0.0049", "€ 0,00", "€0.00"),
        ("-12.5", "€ -12,50", "-€12.50"),
        ("-0.001", "€ 0,00", "€0.00"),  # never "-0,00"
        (1234567, "€ 1.234.567,00", "€1,234,567.00"),
        (None, "", ""),
    ],
)
def test_money_has_two_decimals_in_the_languages_format(value, nl, en):
    assert (formatting.money_text(value, NL), formatting.money_text(value, EN)) == (nl, en)


@pytest.mark.parametrize(
    ("value", "nl", "en"),
    [
        (18000, "18.000", "18,000"),
        (999, "999", "999"),
        (-1234567, "-1.234.567", "-1,234,567"),
        (0, "0", "0"),
    ],
)
def test_counts_have_thousands_separators(value, nl, en):
    assert (formatting.count_text(value, NL), formatting.count_text(value, EN)) == (nl, en)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0:00:00"),
        (59, "0:00:59"),
        (90, "0:01:30"),
        (3600, "1:00:00"),
        (212317, "58:58:37"),
        (None, ""),
    ],
)
def test_durations_are_h_mm_ss(seconds, text):
    assert formatting.duration_text(seconds) == text


@pytest.mark.parametrize(
    ("kb", "nl", "en"),
    [
        (0, "0 MB", "0 MB"),
        (300, "0,29 MB", "0.29 MB"),
        (1024, "1,00 MB", "1.00 MB"),  # 1 MB = 1024 KB, as rating counts
        (2048, "2,00 MB", "2.00 MB"),
        (1024 * 1024 - 1, "1.024,00 MB", "1,024.00 MB"),
        (1024 * 1024, "1,00 GB", "1.00 GB"),
        (17795794, "16,97 GB", "16.97 GB"),
    ],
)
def test_volumes_are_mb_below_a_gb_and_gb_above(kb, nl, en):
    assert (formatting.volume_text(kb, NL), formatting.volume_text(kb, EN)) == (nl, en)


def test_percentages_and_words_that_are_no_number():
    assert (
        formatting.percent_text("12.25", NL) == "12,3%"
        and formatting.percent_text("-3", EN) == "-3.0%"
    )
    assert formatting.money_text("n/a", NL) == "n/a" and formatting.as_decimal("NaN") is None


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "nl",
            (
                "€ 7.482,31",
                "18.000",
                "16,97 GB",
                "1-12-2026 11:29",
                "1-7-2026 12:29",
                "1-9-2026",
                "september 2026",
                "11:29",
            ),
        ),
        (
            "en",
            (
                "€7,482.31",
                "18,000",
                "16.97 GB",
                "1 Dec 2026, 11:29",
                "1 Jul 2026, 12:29",
                "1 Sep 2026",
                "September 2026",
                "11:29",
            ),
        ),
    ],
)
def test_the_filters_take_the_active_languages_format_and_amsterdams_time(language, expected):
    winter = dt.datetime(2026, 12, 1, 10, 29, tzinfo=dt.UTC)
    with translation.override(language):
        got = (
            f.money("7482.3056"),
            f.count(18000),
            f.volume(17795794),
            f.local_datetime("2026-12-01T10:29:00+00:00"),
            f.local_datetime(dt.datetime(2026, 7, 1, 10, 29, tzinfo=dt.UTC)),
            f.local_date(dt.date(2026, 9, 1)),
            f.month_name("2026-09"),
            f.local_time(winter),
        )
    assert got == expected


def test_elapsed_is_h_mm_ss_between_two_moments():
    start = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
    assert f.elapsed(start, start + dt.timedelta(seconds=3)) == "0:00:03"
    assert f.elapsed(start, start + dt.timedelta(hours=2, minutes=5)) == "2:05:00"
    assert f.elapsed(None, start) == ""


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "total", "duration", "volume", "calculated"),
    [
        ("nl", "€ 7.482,31", "58:58:37", "16,97 GB", "berekend op"),
        ("en", "€7,482.31", "58:58:37", "16.97 GB", "calculated at"),
    ],
)
def test_the_usage_page_writes_the_month_in_the_readers_format(
    drain_jobs, language, total, duration, volume, calculated
):
    import re

    month = finance_month(drain_jobs)
    client = Client()
    client.force_login(month.customer.memberships.get(role="viewer").user)
    client.cookies["django_language"] = language
    body = client.get(f"/customers/{month.customer.pk}/usage/?month=2026-09").content.decode()
    assert f'id="total-cost">{total}<' in body
    assert f'<td class="num">{duration}</td>' in body and f'<td class="num">{volume}</td>' in body
    assert calculated in body and not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", body)
    assert "7482.3056" not in body and "212317" not in body and "17795794" not in body
