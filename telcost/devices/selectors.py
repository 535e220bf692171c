"""Reads of the device inventory and the device page.

The cost center a device has now comes from customers.selectors (one rule for every reader); the
month's cost from usage.billing.device_costs. Sorting by either happens here over the filtered
devices' ids (one query each, no per-device query); every other sort, the search, the filters
and the paging are the database's.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.paginator import Paginator
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Lower

from telcost.accounts.access import require_right
from telcost.addons.models import CustomerAddon
from telcost.addons.selectors import addon_label
from telcost.customers.models import Customer, Device
from telcost.customers.selectors import (
    CostCenterPeriod,
    cost_centers_on,
)
from telcost.customers.selectors import device_cost_center_history as assignment_history
from telcost.usage.billing.device_costs import device_costs

DEVICE_NOT_FOUND = "Device not found"
# The API's sorts (SPEC) and iccid, so that every column of the inventory page sorts.
SORT_KEYS = ("msisdn", "iccid", "label", "user_name", "cost_center", "activated_on", "cost")
STATUSES = ("active", "inactive")
# Text sorts ignore case on both databases (their collations differ otherwise).
_DB_SORTS = {"label": Lower("label"), "user_name": Lower("user_name")}


class InventoryQueryError(ValueError):
    """A bad filter or sort: the message names the parameter."""


@dataclass(frozen=True)
class InventoryQuery:
    q: str = ""
    cost_center: str = ""
    status: str = ""
    sort: str = "msisdn"
    month: dt.date | None = None  # the month whose cost each row carries; None: no cost

    def checked(self) -> "InventoryQuery":
        key = self.sort.removeprefix("-")
        if key not in SORT_KEYS:
            raise InventoryQueryError(
                f"sort: one of {', '.join(SORT_KEYS)}, with '-' for descending"
            )
        if key == "cost" and self.month is None:
            raise InventoryQueryError("sort: sorting by cost needs a month")
        if self.status and self.status not in STATUSES:
            raise InventoryQueryError(f"status: one of {', '.join(STATUSES)}")
        return self


def device_is_active(device: Device, today: dt.date) -> bool:
    """Active on the day: activated on or before it, not deactivated on or before it."""
    return device.activated_on <= today and (
        device.deactivated_on is None or device.deactivated_on > today
    )


def _active_q(today: dt.date) -> Q:
    return Q(activated_on__lte=today) & (
        Q(deactivated_on__isnull=True) | Q(deactivated_on__gt=today)
    )


def device_inventory(
    *, customer: Customer, query: InventoryQuery, today: dt.date, page: int, page_size: int
) -> dict:
    """One page of the customer's devices: {count, page, page_size, items}."""
    query = query.checked()
    devices: QuerySet[Device] = Device.objects.filter(customer=customer)
    if query.q:
        devices = devices.filter(
            Q(msisdn__icontains=query.q)
            | Q(label__icontains=query.q)
            | Q(user_name__icontains=query.q)
        )
    now = cost_centers_on(customer, today)
    if query.cost_center:
        devices = devices.filter(
            pk__in=[pk for pk, period in now.items() if period.code == query.cost_center]
        )
    if query.status == "active":
        devices = devices.filter(_active_q(today))
    elif query.status == "inactive":
        devices = devices.exclude(_active_q(today))
    costs = (
        device_costs(customer=customer, cycle_start=query.month)
        if query.month is not None
        else None
    )
    key, descending = query.sort.removeprefix("-"), query.sort.startswith("-")
    if key in ("cost_center", "cost"):
        ids = _sorted_ids(devices, key, descending, now, costs or {})
        paginator = Paginator(ids, page_size)
        ids_of_page = list(paginator.page(page).object_list) if page <= paginator.num_pages else []
        by_id = Device.objects.in_bulk(ids_of_page)
        rows = [by_id[pk] for pk in ids_of_page]
    else:
        order = _DB_SORTS.get(key, F(key))
        order = order.desc() if descending else order.asc()
        paginator = Paginator(devices.order_by(order, "msisdn"), page_size)
        rows = list(paginator.page(page).object_list) if page <= paginator.num_pages else []
    return {
        "count": paginator.count,
        "page": page,
        "page_size": page_size,
        "items": [device_row(d, now.get(d.pk), today, costs) for d in rows],
    }


def _sorted_ids(devices, key, descending, now, costs) -> list[int]:
    pairs = list(devices.values_list("pk", "msisdn"))
    if key == "cost_center":
        # Devices without a cost center last going up, first going down.
        def value(pk):
            period = now.get(pk)
            return (period is None, period.code if period else "")
    else:

        def value(pk):
            return costs.get(pk, Decimal(0))

    pairs.sort(key=lambda pair: pair[1])  # ties in msisdn order either way (the sort is stable)
    pairs.sort(key=lambda pair: value(pair[0]), reverse=descending)
    return [pk for pk, _msisdn in pairs]


def _center(period: CostCenterPeriod | None) -> dict | None:
    return None if period is None else {"code": period.code, "name": period.name}


def device_row(
    device: Device,
    period: CostCenterPeriod | None,
    today: dt.date,
    costs: dict[int, Decimal] | None,
) -> dict:
    row = {
        "id": device.pk,
        "msisdn": device.msisdn,
        "iccid": device.iccid,
        "label": device.label,
        "user_name": device.user_name,
        "cost_center": _center(period),
        "activated_on": device.activated_on,
        "deactivated_on": device.deactivated_on,
        "active": device_is_active(device, today),
    }
    if costs is not None:
        row["cost"] = str(costs.get(device.pk, Decimal("0.0000")))
    return row


def device_for_user(*, user, device_id: int, right: str) -> Device:
    """The device under access.py's policy: 404 (one text) unless the user may view its customer,
    403 without `right`."""
    device = Device.objects.select_related("customer").filter(pk=device_id).first()
    require_right(
        user=user,
        customer=device.customer if device is not None else None,
        right=right,
        not_found=DEVICE_NOT_FOUND,
    )
    return device


def device_cost_center_history(device: Device) -> list[dict]:
    """Its assignments, newest first, an "unassigned from" stretch included with code None: the
    history the cost-center pages show (customers.selectors.device_cost_center_history)."""
    return [
        {"code": h.code, "name": h.name, "valid_from": h.valid_from, "valid_until": h.valid_until}
        for h in assignment_history(device)
    ]


def device_addons(device: Device) -> list[dict]:
    """The addons that apply to the device: its customer's active and pending ones (an addon is
    booked for the customer and holds for each of its devices)."""
    return [
        {
            "id": a.pk,
            "addon_type": a.addon_type,
            "label": addon_label(a.addon_type),
            "status": a.status,
            "data_mb": a.data_mb,
            "activated_at": a.activated_at,
        }
        for a in CustomerAddon.objects.filter(
            customer_id=device.customer_id,
            status__in=[CustomerAddon.Status.ACTIVE, CustomerAddon.Status.PENDING],
        ).order_by("-created_at", "-pk")
    ]


def device_detail(device: Device, today: dt.date) -> dict:
    """GET /api/devices/{id}: the device with its cost center now, its history and addons."""
    current = cost_centers_on(device.customer, today).get(device.pk)
    return {
        **device_row(device, current, today, None),
        "customer_id": device.customer_id,
        "cost_centers": device_cost_center_history(device),
        "addons": device_addons(device),
    }
