"""What a device cost in a month, and its CDRs with their cost: the device inventory, the device
page and the devices export read these.

A device's cost of a month is the sum of its CDRs' costs as the cost rule reads them (cost.py:
the provider's price for a standard customer, the rated price for a rate-plan customer), each
taken in whole 1/10,000 € so both databases add exactly. Monthly fees are not in it: they exist
only in calculated totals, and this month's have usually not been calculated yet.

One GROUP BY over the customer's month (the CDRs are indexed by customer and cycle, not device):
a per-device subquery would scan the month once per device.
"""

import datetime as dt
from decimal import Decimal

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from telcost.core.money import e4_of, from_e4
from telcost.customers.models import Customer, Device
from telcost.usage.billing.cost import cost_rule
from telcost.usage.models import CDR


def device_costs(*, customer: Customer, cycle_start: dt.date) -> dict[int, Decimal]:
    """Per device id with CDRs in the cycle, their cost (4 decimals)."""
    cost = cost_rule(customer).read_sql("c")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT c.device_id, SUM({e4_of(cost)}) FROM {CDR._meta.db_table} c "
            "WHERE c.customer_id = %s AND c.cycle_start = %s GROUP BY c.device_id",
            [customer.pk, cycle_start],
        )
        return {device_id: from_e4(e4) for device_id, e4 in cursor.fetchall()}


def device_cost_by_month(*, device: Device, months: list[dt.date]) -> dict[dt.date, Decimal]:
    """The device's cost in each of the months (0 for a month without CDRs)."""
    if not months:
        return {}
    cost = cost_rule(device.customer).read_sql("c")
    marks = ", ".join(["%s"] * len(months))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT c.cycle_start, SUM({e4_of(cost)}) FROM {CDR._meta.db_table} c "
            f"WHERE c.customer_id = %s AND c.cycle_start IN ({marks}) AND c.device_id = %s "
            "GROUP BY c.cycle_start",
            [device.customer_id, *months, device.pk],
        )
        found = {_as_date(month): from_e4(e4) for month, e4 in cursor.fetchall()}
    return {month: found.get(month, from_e4(0)) for month in months}


def _as_date(value) -> dt.date:
    # SQLite hands a DATE back as text through a raw cursor.
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def device_cdrs(*, device: Device, cycle_start: dt.date) -> QuerySet:
    """The device's CDRs of the cycle in time order, each with `billed` (its cost as the cost rule
    reads it; None for a rate-plan customer's CDR not rated yet)."""
    table = CDR._meta.db_table
    return (
        CDR.objects.filter(customer_id=device.customer_id, cycle_start=cycle_start, device=device)
        .annotate(billed=RawSQL(cost_rule(device.customer).read_sql(table), []))
        .order_by("started_at", "pk")
    )
