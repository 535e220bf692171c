"""What each kind of export contains: columns and a stream of rows from the database."""

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterator

from django.utils import timezone

from telcost.customers.models import CostCenterAssignment, Customer, Device
from telcost.exports.writers import Column
from telcost.usage.models import CDR
from telcost.usage.selectors import insights_get, totals_get

CDR_COLUMNS = [
    Column("Date", "datetime", 20), Column("Device", "text", 15), Column("Duration", "int", 10), Column("Cost", "money", 12),
    Column("Record type", "text", 11), Column("Zone", "text", 13), Column("Destination", "text", 16),
    Column("Volume (KB)", "int", 12), Column("Cost center", "text", 14),
]
COST_CENTER_COLUMNS = [
    Column("Device", "text", 15), Column("Label", "text", 28), Column("Cost center", "text", 14),
    Column("Cost center name", "text", 24), Column("Valid from", "date", 12),
]
TOTALS_COLUMNS = [
    Column("Device", "text", 15), Column("Record type", "text", 11), Column("Zone", "text", 13), Column("Count", "int", 9),
    Column("Duration (s)", "int", 12), Column("Volume (KB)", "int", 12), Column("Cost", "money", 12),
]
SUMMARY_COLUMNS = [Column("Item", "text", 34), Column("Value", "text", 22)]


class NothingToExport(Exception):
    pass


def _assignments_by_device(customer: Customer) -> dict[int, tuple[list[dt.date], list[str]]]:
    by_device: dict[int, list] = defaultdict(list)
    for device_id, valid_from, code in (
        CostCenterAssignment.objects.filter(device__customer=customer)
        .order_by("device_id", "valid_from")
        .values_list("device_id", "valid_from", "cost_center__code")
    ):
        by_device[device_id].append((valid_from, code))
    return {d: ([v for v, _ in rows], [c for _, c in rows]) for d, rows in by_device.items()}


def cdr_rows(customer: Customer, cycle_start: dt.date) -> Iterator[tuple]:
    """The cycle's CDRs in time order, each with the cost center valid on its (local) date."""
    assignments = _assignments_by_device(customer)
    msisdn = dict(Device.objects.filter(customer=customer).values_list("id", "msisdn"))
    tz = timezone.get_default_timezone()
    rows = (
        CDR.objects.filter(customer=customer, cycle_start=cycle_start)
        .order_by("started_at", "id")
        .values_list("started_at", "device_id", "duration_s", "cost", "record_type", "zone", "destination", "volume_kb",
                     "provider_cost")
        .iterator(chunk_size=5000)
    )
    # A standard customer's cost is the provider's, even before a recalculation wrote it down.
    fallback = not customer.is_rateplan
    for started_at, device_id, duration, cost, record_type, zone, destination, volume, provider_cost in rows:
        if cost is None and fallback:
            cost = provider_cost
        local = started_at.astimezone(tz)
        cost_center = ""
        if device_id in assignments:
            dates, codes = assignments[device_id]
            index = bisect.bisect_right(dates, local.date()) - 1
            cost_center = codes[index] if index >= 0 else ""
        yield (local.replace(tzinfo=None), msisdn.get(device_id, ""), duration, cost, record_type, zone, destination,
               volume, cost_center)


def cost_center_rows(customer: Customer, as_of: dt.date) -> Iterator[tuple]:
    """Per device, the assignment with the latest valid_from on or before the date."""
    current: dict[int, tuple] = {}
    for device_id, valid_from, code, name in (
        CostCenterAssignment.objects.filter(device__customer=customer, valid_from__lte=as_of)
        .order_by("device_id", "valid_from")
        .values_list("device_id", "valid_from", "cost_center__code", "cost_center__name")
    ):
        current[device_id] = (code, name, valid_from)
    for device in Device.objects.filter(customer=customer).order_by("msisdn").only("id", "msisdn", "label"):
        code, name, valid_from = current.get(device.pk, ("", "", None))
        yield (device.msisdn, device.label, code, name, valid_from)


def totals_sheets(customer: Customer, cycle_start: dt.date) -> list[tuple[str, list[Column], list[tuple]]]:
    totals = totals_get(customer=customer, cycle_start=cycle_start)
    if totals is None:
        raise NothingToExport("the totals of this month have not been calculated")
    insights = insights_get(customer=customer, cycle_start=cycle_start) or {}
    detail = [(r["msisdn"], r["record_type"], r["zone"], r["count"], r["duration_s"], r["volume_kb"], r["cost"])
              for r in totals["devices"]]
    summary = [("Customer", customer.name), ("Month", cycle_start.strftime("%Y-%m")), ("Version", str(totals["version"])),
               ("Total cost", totals["total_cost"]), ("Subscription cost", totals["subscription_cost"])]
    summary += [(f"Cost {rt}", v["cost"]) for rt, v in totals["by_type"].items()]
    if insights:
        change = insights.get("change") or {}
        summary += [("Change against previous month", change.get("absolute", "")),
                    ("Roaming cost", insights.get("roaming_cost", "")),
                    ("Idle devices", str(insights.get("idle_devices", {}).get("count", ""))),
                    ("Idle devices' fees", insights.get("idle_devices", {}).get("fees_cost", "")),
                    ("Devices out of bundle", str(insights.get("out_of_bundle", {}).get("count", ""))),
                    ("Anomalies", str(len(insights.get("anomalies", []))))]
    return [("Totals", TOTALS_COLUMNS, detail), ("Summary", SUMMARY_COLUMNS, summary)]
