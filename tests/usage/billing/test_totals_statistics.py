"""A big recalculation leaves the planner's statistics of the totals it wrote fresh (issue 19).

The usage page reads a month's totals right after its recalculation. With no statistics of the
totals tables PostgreSQL expects one row per customer-month and joins the 2,000 devices of a
1,000,000-CDR month in nested loops over each other: the per-device table took 10 s instead of
1.4 s after ANALYZE (bench_flow.py, load 12).
"""

import datetime as dt

import pytest
from django.db import connection

from telcost.customers.models import Customer, Device
from telcost.usage.billing.totals import ANALYZE_AFTER_TOTALS_ROWS, totals_calculate
from telcost.usage.models import CDR
from tests.factories import RatePlanFactory

pytestmark = pytest.mark.django_db(transaction=True)

SEPT = dt.date(2026, 9, 1)


def _last_manual_analyze(table: str):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = %s", [table])
        return cursor.fetchone()[0]


@pytest.fixture
def on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite plans without statistics: nothing to refresh")


def _month(devices: int):
    """A rate-plan customer's September: `devices` devices with one call each."""
    customer = Customer.objects.create(name="big", kind="rateplan", rate_plan=RatePlanFactory())
    Device.objects.bulk_create(
        Device(msisdn=f"3161{i:07d}", customer=customer, activated_on=dt.date(2026, 1, 1))
        for i in range(devices)
    )
    CDR.objects.bulk_create(
        CDR(
            customer=customer,
            device=device,
            external_id=f"c{device.pk}",
            started_at=dt.datetime(2026, 9, 10, 12, 0, tzinfo=dt.UTC),
            record_type="voice",
            zone="national",
            destination="31201234567",
            duration_s=60,
            volume_kb=0,
            provider_cost="0.1000",
            cycle_start=SEPT,
        )
        for device in customer.devices.all()
    )
    return customer


TABLES = ("usage_usagetotal", "usage_subscriptiontotal")


def test_totals_of_many_rows_analyze_the_tables_written_when_they_commit(on_postgres):
    customer = _month(ANALYZE_AFTER_TOTALS_ROWS)  # a usage row and a fee row per device
    before = {table: _last_manual_analyze(table) for table in TABLES}
    totals_calculate(customer=customer, cycle_start=SEPT)
    for table in TABLES:
        after = _last_manual_analyze(table)
        assert after is not None and (before[table] is None or after > before[table]), table


def test_small_totals_leave_the_statistics_alone(on_postgres):
    customer = _month(ANALYZE_AFTER_TOTALS_ROWS - 1)
    before = {table: _last_manual_analyze(table) for table in TABLES}
    totals_calculate(customer=customer, cycle_start=SEPT)
    assert {table: _last_manual_analyze(table) for table in TABLES} == before
