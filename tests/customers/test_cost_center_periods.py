"""The cost center valid on a date, defined once: periods from one valid_from until the next.

Summer time ends on 25 October 2026 (03:00 CEST becomes 02:00 CET, 01:00 UTC): local
midnight opening the 25th is 22:00 UTC on the 24th, the one opening the 26th 23:00 UTC.
"""

import datetime as dt
from decimal import Decimal

import pytest

from telcost.customers.selectors import CostCenterPeriod, cost_center_periods, cost_centers_on
from telcost.exports.cdr import rows as cdr_export_rows
from telcost.usage.models import CDR
from tests.factories import (
    CostCenterAssignmentFactory,
    CostCenterFactory,
    CustomerFactory,
    DeviceFactory,
)

pytestmark = pytest.mark.django_db

UTC = dt.UTC


@pytest.fixture
def moves():
    customer = CustomerFactory()
    a, b, c = (
        CostCenterFactory(customer=customer, code=code, name=f"Center {code}") for code in "ABC"
    )
    mover, stayer = DeviceFactory(customer=customer), DeviceFactory(customer=customer)
    for device, center, day in [
        (mover, b, dt.date(2026, 10, 25)),
        (mover, a, dt.date(2026, 1, 1)),
        (mover, c, dt.date(2026, 10, 26)),
        (stayer, c, dt.date(2026, 10, 1)),
    ]:
        CostCenterAssignmentFactory(device=device, cost_center=center, valid_from=day)
    return customer, mover, stayer


def test_each_period_lasts_until_the_device_s_next_valid_from(moves):
    customer, mover, stayer = moves
    assert cost_center_periods(customer) == sorted(
        [
            CostCenterPeriod(mover.pk, dt.date(2026, 1, 1), dt.date(2026, 10, 25), "A", "Center A"),
            CostCenterPeriod(
                mover.pk, dt.date(2026, 10, 25), dt.date(2026, 10, 26), "B", "Center B"
            ),
            CostCenterPeriod(mover.pk, dt.date(2026, 10, 26), None, "C", "Center C"),
            CostCenterPeriod(stayer.pk, dt.date(2026, 10, 1), None, "C", "Center C"),
        ]
    )
    assert cost_center_periods(CustomerFactory()) == []


def test_the_cost_centers_on_a_day(moves):
    customer, mover, stayer = moves
    codes = {
        day: {device: period.code for device, period in cost_centers_on(customer, day).items()}
        for day in (
            dt.date(2025, 12, 31),
            dt.date(2026, 10, 24),
            dt.date(2026, 10, 25),
            dt.date(2026, 10, 26),
        )
    }
    assert codes == {
        dt.date(2025, 12, 31): {},
        dt.date(2026, 10, 24): {mover.pk: "A", stayer.pk: "C"},
        dt.date(2026, 10, 25): {mover.pk: "B", stayer.pk: "C"},
        dt.date(2026, 10, 26): {mover.pk: "C", stayer.pk: "C"},
    }


def test_the_export_takes_the_period_of_each_cdr_s_local_day_across_the_end_of_summer_time(moves):
    customer, mover, _ = moves
    instants = [
        dt.datetime(2026, 10, 24, 21, 59, 59, tzinfo=UTC),  # 23:59:59 CEST on the 24th
        dt.datetime(2026, 10, 24, 22, 0, tzinfo=UTC),  # 00:00 CEST on the 25th
        dt.datetime(2026, 10, 25, 22, 59, 59, tzinfo=UTC),  # 23:59:59 CET on the 25th
        dt.datetime(2026, 10, 25, 23, 0, tzinfo=UTC),
    ]  # 00:00 CET on the 26th
    for number, at in enumerate(instants):
        CDR.objects.create(
            customer=customer,
            device=mover,
            external_id=f"dst{number}",
            started_at=at,
            record_type="sms",
            zone="national",
            destination="31",
            provider_cost=Decimal("0.1"),
            cycle_start=dt.date(2026, 10, 1),
        )
    rows = list(cdr_export_rows(customer, dt.date(2026, 10, 1), for_xlsx=False))
    assert [(row[0], row[-1]) for row in rows] == [
        ("2026-10-24 23:59:59", "A"),
        ("2026-10-25 00:00:00", "B"),
        ("2026-10-25 23:59:59", "B"),
        ("2026-10-26 00:00:00", "C"),
    ]
