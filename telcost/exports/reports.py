"""What each kind of export contains: columns and a stream of rows from the database."""

import datetime as dt
from collections.abc import Iterator
from typing import BinaryIO

from telcost.customers.models import Customer, Device
from telcost.customers.selectors import cost_centers_on
from telcost.exports import cdr
from telcost.exports.writers import Column
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


def cdr_rows(customer: Customer, cycle_start: dt.date, *, for_xlsx: bool) -> Iterator[tuple]:
    """The cycle's CDRs in time order, each with the cost center valid on its local date (see exports.cdr)."""
    return cdr.rows(customer, cycle_start, for_xlsx=for_xlsx)


def write_cdr_csv(stream: BinaryIO, customer: Customer, cycle_start: dt.date) -> int:
    """The CDRs as csv: through PostgreSQL's COPY there, as lines Python writes directly on SQLite."""
    return cdr.write_csv(customer, cycle_start, stream, [c.title for c in CDR_COLUMNS])


def cost_center_rows(customer: Customer, as_of: dt.date) -> Iterator[tuple]:
    """Per device, the assignment with the latest valid_from on or before the date."""
    current = cost_centers_on(customer, as_of)
    for device in Device.objects.filter(customer=customer).order_by("msisdn").only("id", "msisdn", "label"):
        period = current.get(device.pk)
        if period is None:
            yield (device.msisdn, device.label, "", "", None)
        else:
            yield (device.msisdn, device.label, period.code, period.name, period.valid_from)


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
