"""Chargeback per cost center (SPEC part 2 "Cost control"): a calculated month split by cost center.

A CDR's cost goes to the cost center its device had on the CDR's local date (Europe/Amsterdam),
as in the CDR export; a device's monthly fee to the one it had on the last day of the cycle on
which it was active. No cost center on that date (or an assignment to none): `unassigned`.

What is split is what the month's latest calculation summed: each CDR's cost as the cost rule
reads it (billing/cost.py) and each device's fee as the totals stored it (SubscriptionTotal,
written by totals.py: the one place that decides who pays which fee). So the places add up to the
month's total exactly, as long as the month's CDRs are as its latest recalculation left them.

Validity of an assignment is the customers app's selector (cost_center_periods); the CDRs are
matched to its periods set-based in SQL, each period running from the instant its first local day
begins until the next one's (a CDR's local date only grows with its started_at), on the dialect's
relation of the periods (usage/sql).
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection

from telcost.core.cycles import cycle_end_of, day_start
from telcost.customers.models import CostCenter, Customer, Device
from telcost.customers.selectors import CostCenterPeriod, cost_center_periods
from telcost.usage.billing.cost import cost_rule
from telcost.usage.billing.totals import totals_exist
from telcost.usage.models import CDR, SubscriptionTotal
from telcost.usage.sql import dialect

USAGE_TYPES = ("voice", "sms", "data")
ZERO = Decimal("0.0000")


@dataclass
class DeviceShare:
    """What one device costs one place (a cost center, or unassigned) in the month."""

    device_id: int
    msisdn: str = ""
    label: str = ""
    user_name: str = ""
    by_type: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(USAGE_TYPES, ZERO))
    subscription_cost: Decimal = ZERO

    @property
    def usage_cost(self) -> Decimal:
        return sum(self.by_type.values(), ZERO)

    @property
    def total_cost(self) -> Decimal:
        return self.usage_cost + self.subscription_cost


@dataclass
class Place:
    """A cost center (code, name) or unassigned (code None) with its devices' shares."""

    code: str | None
    name: str
    devices: dict[int, DeviceShare] = field(default_factory=dict)

    def share(self, device_id: int) -> DeviceShare:
        if device_id not in self.devices:
            self.devices[device_id] = DeviceShare(device_id)
        return self.devices[device_id]

    @property
    def by_type(self) -> dict[str, Decimal]:
        return {t: sum((d.by_type[t] for d in self.devices.values()), ZERO) for t in USAGE_TYPES}

    @property
    def usage_cost(self) -> Decimal:
        return sum((d.usage_cost for d in self.devices.values()), ZERO)

    @property
    def subscription_cost(self) -> Decimal:
        return sum((d.subscription_cost for d in self.devices.values()), ZERO)

    @property
    def total_cost(self) -> Decimal:
        return self.usage_cost + self.subscription_cost

    def as_dict(self) -> dict:
        answer = {} if self.code is None else {"code": self.code, "name": self.name}
        return {
            **answer,
            "devices": len(self.devices),
            "usage_cost": _money(self.usage_cost),
            "subscription_cost": _money(self.subscription_cost),
            "total_cost": _money(self.total_cost),
            "by_type": {t: _money(v) for t, v in self.by_type.items()},
        }


@dataclass
class Chargeback:
    cycle_start: dt.date
    cost_centers: list[Place]
    unassigned: Place

    @property
    def places(self) -> list[Place]:
        return [*self.cost_centers, self.unassigned]

    @property
    def total_cost(self) -> Decimal:
        return sum((place.total_cost for place in self.places), ZERO)

    def as_dict(self) -> dict:
        return {
            "cycle_start": self.cycle_start.isoformat(),
            "total_cost": _money(self.total_cost),
            "cost_centers": [place.as_dict() for place in self.cost_centers],
            "unassigned": self.unassigned.as_dict(),
        }


def _money(value: Decimal) -> str:
    return str(Decimal(value).quantize(ZERO))


def _periods_in_cycle(
    periods: list[CostCenterPeriod], cycle_start: dt.date
) -> list[tuple[int, CostCenterPeriod]]:
    """The periods that hold on some day of the cycle, numbered by their place in `periods`."""
    last = cycle_end_of(cycle_start)
    return [
        (number, period)
        for number, period in enumerate(periods)
        if period.valid_from <= last
        and (period.valid_until is None or period.valid_until > cycle_start)
    ]


def _usage_by_period(
    customer: Customer, cycle_start: dt.date, numbered: list[tuple[int, CostCenterPeriod]]
) -> list[tuple[int | None, int, str, str, Decimal, int]]:
    """(period number or None, device id, record type, zone, cost, volume KB) of the cycle's CDRs,
    in one scan."""
    sql_dialect = dialect()
    cost = sql_dialect.exact_money(cost_rule(customer).read_sql("c"))
    rows = [
        (
            period.device_id,
            day_start(period.valid_from),
            None if period.valid_until is None else day_start(period.valid_until),
            number,
        )
        for number, period in numbered
    ]
    with sql_dialect.read_scope(), connection.cursor() as cursor:
        sql_dialect.big_statement(cursor, work_mem="64MB", parallel=True)
        relation, params = sql_dialect.periods_relation(cursor, rows)
        cursor.execute(
            f"""
            SELECT p.period, c.device_id, c.record_type, c.zone, COALESCE(SUM({cost}), 0),
                COALESCE(SUM(c.volume_kb), 0)
            FROM {CDR._meta.db_table} c
            LEFT JOIN {relation} p ON p.device_id = c.device_id AND c.started_at >= p.valid_from
                AND (p.valid_until IS NULL OR c.started_at < p.valid_until)
            WHERE c.customer_id = %s AND c.cycle_start = %s
            GROUP BY p.period, c.device_id, c.record_type, c.zone
            """,
            [*params, customer.pk, cycle_start],
        )
        found = cursor.fetchall()
    return [
        (period, device_id, record_type, zone, sql_dialect.money_value(total), int(volume_kb))
        for period, device_id, record_type, zone, total, volume_kb in found
    ]


@dataclass(frozen=True)
class UsageShare:
    """What a device's CDRs of one type and zone cost one place; code None: unassigned."""

    code: str | None
    name: str
    device_id: int
    record_type: str
    zone: str
    cost: Decimal
    volume_kb: int


@dataclass(frozen=True)
class FeeShare:
    """A device's monthly fee and the place it goes to; code None: unassigned."""

    code: str | None
    name: str
    device_id: int
    fee: Decimal


def chargeback_shares(
    *, customer: Customer, cycle_start: dt.date
) -> tuple[list[UsageShare], list[FeeShare]]:
    """The month's usage and fees, each with the place the rule of this module sends it to.

    The one attribution rule: the chargeback below and the cost-center alerts (alert_metrics.py)
    both add these up.
    """
    periods = cost_center_periods(customer)

    def place_of(period: CostCenterPeriod | None) -> tuple[str | None, str]:
        if period is None or period.code is None:
            return None, ""
        return period.code, period.name

    usage = [
        UsageShare(
            *place_of(None if number is None else periods[number]),
            device_id,
            record_type,
            zone,
            cost,
            volume_kb,
        )
        for number, device_id, record_type, zone, cost, volume_kb in _usage_by_period(
            customer, cycle_start, _periods_in_cycle(periods, cycle_start)
        )
    ]
    deactivated = dict(Device.objects.filter(customer=customer).values_list("id", "deactivated_on"))
    by_device: dict[int, list[CostCenterPeriod]] = {}
    for period in periods:
        by_device.setdefault(period.device_id, []).append(period)
    last = cycle_end_of(cycle_start)
    fees = []
    for device_id, fee in SubscriptionTotal.objects.filter(
        customer=customer, cycle_start=cycle_start
    ).values_list("device_id", "cost"):
        deactivated_on = deactivated.get(device_id)
        # The last day of the cycle on which the device was active.
        day = min(last, deactivated_on) if deactivated_on else last
        period = next((p for p in by_device.get(device_id, []) if p.holds_on(day)), None)
        fees.append(FeeShare(*place_of(period), device_id, fee))
    return usage, fees


def chargeback_compute(*, customer: Customer, cycle_start: dt.date) -> Chargeback | None:
    """The month split by cost center; None when the month was never calculated."""
    if not totals_exist(customer=customer, cycle_start=cycle_start):
        return None
    places = {
        code: Place(code, name)
        for code, name in CostCenter.objects.filter(customer=customer)
        .order_by("code")
        .values_list("code", "name")
    }
    unassigned = Place(None, "")

    def place_of(code: str | None, name: str) -> Place:
        return unassigned if code is None else places.setdefault(code, Place(code, name))

    usage, fees = chargeback_shares(customer=customer, cycle_start=cycle_start)
    for share in usage:
        place_of(share.code, share.name).share(share.device_id).by_type[share.record_type] += (
            share.cost
        )
    for share in fees:
        place_of(share.code, share.name).share(share.device_id).subscription_cost += share.fee

    devices = {
        device_id: (msisdn, label, user_name)
        for device_id, msisdn, label, user_name in Device.objects.filter(
            customer=customer
        ).values_list("id", "msisdn", "label", "user_name")
    }
    for place in [*places.values(), unassigned]:
        for share in place.devices.values():
            share.msisdn, share.label, share.user_name = devices.get(
                share.device_id, (str(share.device_id), "", "")
            )
    return Chargeback(
        cycle_start=cycle_start,
        cost_centers=[places[code] for code in sorted(places)],
        unassigned=unassigned,
    )


def chargeback_get(*, customer: Customer, cycle_start: dt.date) -> dict | None:
    """GET /api/customers/{id}/cost-centers/totals: SPEC's shape, or None before the month was
    calculated."""
    chargeback = chargeback_compute(customer=customer, cycle_start=cycle_start)
    return None if chargeback is None else chargeback.as_dict()
