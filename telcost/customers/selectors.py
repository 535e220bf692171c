"""Reads of the customers app."""

import datetime as dt
from typing import NamedTuple

from telcost.customers.models import CostCenterAssignment, Customer


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
    """The customer's cost center periods, by device and valid_from."""
    assignments = list(
        CostCenterAssignment.objects.filter(device__customer=customer)
        .order_by("device_id", "valid_from")
        .values_list("device_id", "valid_from", "cost_center__code", "cost_center__name")
    )
    periods = []
    for (device_id, valid_from, code, name), following in zip(
        assignments, [*assignments[1:], None], strict=False
    ):
        valid_until = following[1] if following is not None and following[0] == device_id else None
        periods.append(CostCenterPeriod(device_id, valid_from, valid_until, code, name))
    return periods


def cost_centers_on(customer: Customer, day: dt.date) -> dict[int, CostCenterPeriod]:
    """Per device id, the period valid on the day: the assignment with the latest valid_from on or
    before it."""
    return {
        period.device_id: period for period in cost_center_periods(customer) if period.holds_on(day)
    }
