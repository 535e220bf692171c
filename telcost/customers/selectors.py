"""Reads of the customers app."""

import datetime as dt
from typing import NamedTuple

from django.db.models import Count, Q
from django.utils import timezone

from telcost.core.cycles import cycle_start_of
from telcost.customers.models import (
    CostCenter,
    CostCenterAssignment,
    Customer,
    Device,
    RatePlan,
    RatePlanVersion,
)


def customer_as_dict(customer: Customer) -> dict:
    return {
        "id": customer.pk,
        "name": customer.name,
        "kind": customer.kind,
        "rate_plan": customer.rate_plan.code if customer.rate_plan_id else None,
        "partner_id": customer.partner_id,
        "is_partner": customer.is_partner,
        "children": list(customer.children.order_by("pk").values_list("pk", flat=True)),
        "external_ref": customer.external_ref,
        "status": {
            "calculate_totals": customer.calculate_totals,
            "totals_calculated_at": customer.totals_calculated_at,
            "totals_calculated_by": customer.totals_calculated_by.username
            if customer.totals_calculated_by_id
            else None,
            "totals_version": customer.totals_version,
            "totals_outcome": customer.totals_outcome,
        },
    }


class CostCenterPeriod(NamedTuple):
    """A device's cost center from valid_from until valid_until (not included; None: still).

    valid_until is the device's next assignment's valid_from: an assignment holds until the
    next one begins. Both are local dates (Europe/Amsterdam).
    """

    device_id: int
    valid_from: dt.date
    valid_until: dt.date | None
    code: str
    name: str

    def holds_on(self, day: dt.date) -> bool:
        """Whether this is the device's assignment on the (local) day."""
        return self.valid_from <= day and (self.valid_until is None or day < self.valid_until)


def cost_center_periods(customer: Customer) -> list[CostCenterPeriod]:
    """The customer's cost center periods, by device and valid_from.

    The one definition of validity: everything that asks which cost center a device had on a day
    (the CDR export on both databases, the cost center export, the pages) reads these periods.
    An assignment without a cost center ("unassigned from valid_from on") ends the period before
    it and is no period itself.
    """
    assignments = list(
        CostCenterAssignment.objects.filter(device__customer=customer)
        .order_by("device_id", "valid_from")
        .values_list("device_id", "valid_from", "cost_center__code", "cost_center__name")
    )
    periods = []
    for (device_id, valid_from, code, name), following in zip(
        assignments, [*assignments[1:], None], strict=False
    ):
        if code is None:
            continue
        valid_until = following[1] if following is not None and following[0] == device_id else None
        periods.append(CostCenterPeriod(device_id, valid_from, valid_until, code, name))
    return periods


def cost_centers_on(customer: Customer, day: dt.date) -> dict[int, CostCenterPeriod]:
    """Per device id, the period valid on the day: the assignment with the latest valid_from on or
    before it."""
    return {
        period.device_id: period for period in cost_center_periods(customer) if period.holds_on(day)
    }


class CostCenterRow(NamedTuple):
    id: int
    code: str
    name: str
    devices_now: int
    assignments: int  # how many assignments name it: while any do, it cannot be deleted


def cost_centers_of(customer: Customer, today: dt.date | None = None) -> list[CostCenterRow]:
    """The customer's cost centers by code, each with the number of devices in it today."""
    now: dict[str, int] = {}
    for period in cost_centers_on(customer, today or timezone.localdate()).values():
        now[period.code] = now.get(period.code, 0) + 1
    return [
        CostCenterRow(center.pk, center.code, center.name, now.get(center.code, 0), center.n)
        for center in CostCenter.objects.filter(customer=customer)
        .annotate(n=Count("assignments"))
        .order_by("code")
    ]


class HistoryRow(NamedTuple):
    """One assignment of a device: code and name None for "unassigned from valid_from on"."""

    valid_from: dt.date
    valid_until: dt.date | None
    code: str | None
    name: str | None

    @property
    def last_day(self) -> dt.date | None:
        """The last day it holds (valid_until is the next one's first day)."""
        return None if self.valid_until is None else self.valid_until - dt.timedelta(days=1)


def device_cost_center_history(device: Device) -> list[HistoryRow]:
    """The device's assignments, newest first, each valid until the next one begins."""
    rows = list(
        device.cost_center_assignments.order_by("valid_from").values_list(
            "valid_from", "cost_center__code", "cost_center__name"
        )
    )
    history = [
        HistoryRow(valid_from, following[0] if following else None, code, name)
        for (valid_from, code, name), following in zip(rows, [*rows[1:], None], strict=False)
    ]
    return history[::-1]


def devices_for_assigning(customer: Customer, q: str = "", limit: int = 200) -> list[Device]:
    """The customer's devices a search for msisdn, label or user name finds, by msisdn."""
    devices = Device.objects.filter(customer=customer)
    if q:
        devices = devices.filter(
            Q(msisdn__icontains=q) | Q(label__icontains=q) | Q(user_name__icontains=q)
        )
    return list(devices.order_by("msisdn")[:limit])


def rate_plan_version_for(*, rate_plan_id: int, cycle_start: dt.date) -> RatePlanVersion | None:
    """The version that rates the cycle: the latest valid_from on or before its start (SPEC part
    2); None when the cycle lies before the plan's first version."""
    return (
        RatePlanVersion.objects.filter(rate_plan_id=rate_plan_id, valid_from__lte=cycle_start)
        .order_by("-valid_from")
        .first()
    )


def rate_plan_first_version(rate_plan_id: int) -> RatePlanVersion | None:
    return RatePlanVersion.objects.filter(rate_plan_id=rate_plan_id).order_by("valid_from").first()


def rate_plan_current_version(rate_plan_id: int) -> RatePlanVersion | None:
    """The version that rates this month (Europe/Amsterdam); before the first version's month,
    the first version."""
    return rate_plan_version_for(
        rate_plan_id=rate_plan_id, cycle_start=cycle_start_of(timezone.localdate())
    ) or rate_plan_first_version(rate_plan_id)


def rate_plan_latest_version(rate_plan_id: int) -> RatePlanVersion | None:
    """The version with the latest valid_from (the editor starts from it)."""
    return RatePlanVersion.objects.filter(rate_plan_id=rate_plan_id).order_by("-valid_from").first()


def rate_plan_as_dict(plan: RatePlan) -> dict:
    """{code, name, versions: [{valid_from, monthly_fee, definition}]}, versions oldest first
    (uses a prefetch of `versions` when there is one)."""
    return {
        "code": plan.code,
        "name": plan.name,
        "versions": [
            {"valid_from": v.valid_from, "monthly_fee": v.monthly_fee, "definition": v.definition}
            for v in sorted(plan.versions.all(), key=lambda v: v.valid_from)
        ],
    }
