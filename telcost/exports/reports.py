"""What each kind of export contains: columns and a stream of rows from the database.

Column titles, sheet names and the summary's items are English message ids: written in the
export's language (ExportJob.language, translation.override around the writing), English
being the API's default.
"""

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import BinaryIO

from django.utils.translation import gettext, gettext_noop

from telcost.core.money import from_e4
from telcost.customers.models import Customer, Device
from telcost.customers.selectors import cost_centers_on
from telcost.exports import cdr
from telcost.exports.writers import RFC4180, Column, CsvConventions, write_csv
from telcost.usage.billing.chargeback import USAGE_TYPES, Place, chargeback_compute
from telcost.usage.billing.device_costs import device_costs
from telcost.usage.billing.reconciliation import overcharged_cdrs, reconciles
from telcost.usage.billing.totals import totals_exist
from telcost.usage.selectors import insights_get, subscription_totals_get, totals_get

_ = gettext_noop  # the titles are translated when a file is written (translated_columns)

CDR_COLUMNS = [
    Column(_("Date"), "datetime", 20),
    Column(_("Device"), "text", 15),
    Column(_("Duration"), "int", 10),
    Column(_("Cost"), "money", 12),
    Column(_("Record type"), "text", 11),
    Column(_("Zone"), "text", 13),
    Column(_("Destination"), "text", 16),
    Column(_("Volume (KB)"), "int", 12),
    Column(_("Cost center"), "text", 14),
]
COST_CENTER_COLUMNS = [
    Column(_("Device"), "text", 15),
    Column(_("Label"), "text", 28),
    Column(_("Cost center"), "text", 14),
    Column(_("Cost center name"), "text", 24),
    Column(_("Valid from"), "date", 12),
]
TOTALS_COLUMNS = [
    Column(_("Device"), "text", 15),
    Column(_("Record type"), "text", 11),
    Column(_("Zone"), "text", 13),
    Column(_("Count"), "int", 9),
    Column(_("Duration (s)"), "int", 12),
    Column(_("Volume (KB)"), "int", 12),
    Column(_("Cost"), "money", 12),
]
RECONCILIATION_COLUMNS = [
    Column(_("Date"), "datetime", 20),
    Column(_("Device"), "text", 15),
    Column(_("Record type"), "text", 11),
    Column(_("Zone"), "text", 13),
    Column(_("Destination"), "text", 16),
    Column(_("Duration"), "int", 10),
    Column(_("Volume (KB)"), "int", 12),
    Column(_("Provider cost"), "money", 14),
    Column(_("Contract cost"), "money", 14),
    Column(_("Difference"), "money", 12),
]
_COST_COLUMNS = [
    Column(_("Voice"), "money", 12),
    Column(_("SMS"), "money", 12),
    Column(_("Data"), "money", 12),
    Column(_("Usage cost"), "money", 13),
    Column(_("Subscription cost"), "money", 16),
    Column(_("Total cost"), "money", 13),
]
CHARGEBACK_OVERVIEW_COLUMNS = [
    Column(_("Cost center"), "text", 14),
    Column(_("Cost center name"), "text", 24),
    Column(_("Devices"), "int", 9),
    *_COST_COLUMNS,
]
CHARGEBACK_DEVICE_COLUMNS = [
    Column(_("Device"), "text", 15),
    Column(_("Label"), "text", 24),
    Column(_("User"), "text", 20),
    *_COST_COLUMNS,
]
DEVICE_COLUMNS = [
    Column(_("Device"), "text", 15),
    Column(_("ICCID"), "text", 22),
    Column(_("Label"), "text", 28),
    Column(_("User"), "text", 24),
    Column(_("Cost center"), "text", 14),
    Column(_("Cost center name"), "text", 24),
    Column(_("Activated on"), "date", 12),
    Column(_("Deactivated on"), "date", 12),
    Column(_("Cost"), "money", 12),
]
SUMMARY_COLUMNS = [Column(_("Item"), "text", 34), Column(_("Value"), "value", 22)]
# Sheet names.
CDRS_SHEET, COST_CENTERS_SHEET, TOTALS_SHEET, SUMMARY_SHEET, DEVICES_SHEET = (
    _("CDRs"),
    _("Cost centers"),
    _("Totals"),
    _("Summary"),
    _("Devices"),
)
OVERCHARGED_SHEET, OVERVIEW_SHEET, UNASSIGNED, TOTAL = (
    _("Overcharged"),
    _("Overview"),
    _("Unassigned"),
    _("Total"),
)
_USAGE_TYPES = {"voice": _("voice"), "sms": _("sms"), "data": _("data")}
# The record type of a device's monthly fee in the totals sheet (as in a totals backup's rows).
SUBSCRIPTION = "subscription"


def translated_columns(columns: list[Column]) -> list[Column]:
    """The columns with their titles in the active language."""
    return [Column(gettext(c.title), c.kind, c.width) for c in columns]


class NothingToExport(Exception):
    pass


# Stored as a job's error, in English like every stored message (pages show them through
# web/reader_text.py).
NOT_CALCULATED = "the totals of this month have not been calculated"
NO_CONTRACT = "a reconciliation needs a customer with a rate plan"


def cdr_rows(customer: Customer, cycle_start: dt.date, *, for_xlsx: bool) -> Iterator[tuple]:
    """The cycle's CDRs in time order, each with the cost center valid on its local date (see
    exports.cdr)."""
    return cdr.rows(customer, cycle_start, for_xlsx=for_xlsx)


def write_cdr_csv(
    stream: BinaryIO, customer: Customer, cycle_start: dt.date, dialect: CsvConventions = RFC4180
) -> int:
    """The CDRs as csv: rfc4180 through PostgreSQL's COPY there, as lines Python writes directly
    on SQLite; another dialect row by row through the csv module (slower, on both)."""
    columns = translated_columns(CDR_COLUMNS)
    if dialect is RFC4180:
        return cdr.write_csv(customer, cycle_start, stream, [c.title for c in columns])
    return write_csv(stream, columns, cdr.rows(customer, cycle_start, for_xlsx=False), dialect)


def cost_center_rows(customer: Customer, as_of: dt.date) -> Iterator[tuple]:
    """Per device, the assignment with the latest valid_from on or before the date."""
    current = cost_centers_on(customer, as_of)
    for device in (
        Device.objects.filter(customer=customer).order_by("msisdn").only("id", "msisdn", "label")
    ):
        period = current.get(device.pk)
        if period is None:
            yield (device.msisdn, device.label, "", "", None)
        else:
            yield (device.msisdn, device.label, period.code, period.name, period.valid_from)


def device_rows(customer: Customer, cycle_start: dt.date, today: dt.date) -> Iterator[tuple]:
    """The inventory: per device (by msisdn) its cost center today and its cost in the month."""
    current = cost_centers_on(customer, today)
    costs = device_costs(customer=customer, cycle_start=cycle_start)
    for device in Device.objects.filter(customer=customer).order_by("msisdn"):
        period = current.get(device.pk)
        yield (
            device.msisdn,
            device.iccid,
            device.label,
            device.user_name,
            period.code if period else "",
            period.name if period else "",
            device.activated_on,
            device.deactivated_on,
            costs.get(device.pk, from_e4(0)),
        )


def totals_sheets(
    customer: Customer, cycle_start: dt.date
) -> list[tuple[str, list[Column], list[tuple]]]:
    totals = totals_get(customer=customer, cycle_start=cycle_start)
    if totals is None:
        raise NothingToExport(NOT_CALCULATED)
    insights = insights_get(customer=customer, cycle_start=cycle_start) or {}
    detail = _with_subscriptions(
        [
            (
                r["msisdn"],
                r["record_type"],
                r["zone"],
                r["count"],
                r["duration_s"],
                r["volume_kb"],
                Decimal(r["cost"]),
            )
            for r in totals["devices"]
        ],
        subscription_totals_get(customer=customer, cycle_start=cycle_start),
    )
    summary = [
        (gettext("Customer"), customer.name),
        (gettext("Month"), cycle_start.strftime("%Y-%m")),
        (gettext("Version"), int(totals["version"])),
        (gettext("Total cost"), _number(totals["total_cost"])),
        (gettext("Subscription cost"), _number(totals["subscription_cost"])),
    ]
    summary += [
        (gettext("Cost %(type)s") % {"type": gettext(_USAGE_TYPES.get(rt, rt))}, _number(v["cost"]))
        for rt, v in totals["by_type"].items()
    ]
    if insights:
        change = insights.get("change") or {}
        idle = insights.get("idle_devices") or {}
        summary += [
            (gettext("Change against previous month"), _number(change.get("absolute"))),
            (gettext("Roaming cost"), _number(insights.get("roaming_cost"))),
            (gettext("Idle devices"), _count(idle.get("count"))),
            (gettext("Idle devices' fees"), _number(idle.get("fees_cost"))),
            (
                gettext("Devices out of bundle"),
                _count((insights.get("out_of_bundle") or {}).get("count")),
            ),
            (gettext("Anomalies"), len(insights.get("anomalies", []))),
        ]
    return [
        (gettext(TOTALS_SHEET), translated_columns(TOTALS_COLUMNS), detail),
        (gettext(SUMMARY_SHEET), translated_columns(SUMMARY_COLUMNS), summary),
    ]


def reconciliation_rows(customer: Customer, cycle_start: dt.date) -> Iterator[tuple]:
    """Every CDR the provider charged more than the contract: the file to dispute them with."""
    if not reconciles(customer):
        raise NothingToExport(NO_CONTRACT)
    if not totals_exist(customer=customer, cycle_start=cycle_start):
        raise NothingToExport(NOT_CALCULATED)
    return overcharged_cdrs(customer, cycle_start)


_SHEET_NAME_FORBIDDEN = re.compile(r"[\\\[\]:*?/]")


def _sheet_names(names: list[str]) -> list[str]:
    """Names Excel accepts: without []:*?/\\, at most 31 characters, unique whatever the case."""
    taken: set[str] = set()
    unique = []
    for name in names:
        base = _SHEET_NAME_FORBIDDEN.sub("_", name).strip("'") or "_"
        candidate, number = base[:31], 1
        while candidate.lower() in taken:
            number += 1
            suffix = f" ({number})"
            candidate = base[: 31 - len(suffix)] + suffix
        taken.add(candidate.lower())
        unique.append(candidate)
    return unique


def _costs(item) -> tuple:
    by_type = item.by_type
    return (
        *(by_type[t] for t in USAGE_TYPES),
        item.usage_cost,
        item.subscription_cost,
        item.total_cost,
    )


def _device_rows(place: Place) -> list[tuple]:
    return [
        (share.msisdn, share.label, share.user_name, *_costs(share))
        for share in sorted(place.devices.values(), key=lambda share: share.msisdn)
    ]


def chargeback_sheets(
    customer: Customer, cycle_start: dt.date
) -> list[tuple[str, list[Column], list[tuple]]]:
    """An overview (a row per cost center, unassigned, the total) and a sheet per cost center
    with its devices (and one for the unassigned devices, when there are any)."""
    chargeback = chargeback_compute(customer=customer, cycle_start=cycle_start)
    if chargeback is None:
        raise NothingToExport(NOT_CALCULATED)
    unassigned = gettext(UNASSIGNED)
    overview = [
        (place.code, place.name, len(place.devices), *_costs(place))
        for place in chargeback.cost_centers
    ]
    overview.append(
        ("", unassigned, len(chargeback.unassigned.devices), *_costs(chargeback.unassigned))
    )
    all_devices = len({d for place in chargeback.places for d in place.devices})
    totals = [
        sum((row[i] for row in overview), Decimal(0)) for i in range(3, 3 + len(_COST_COLUMNS))
    ]
    overview.append(("", gettext(TOTAL), all_devices, *totals))
    places = list(chargeback.cost_centers)
    if chargeback.unassigned.devices:
        places.append(chargeback.unassigned)
    names = _sheet_names([gettext(OVERVIEW_SHEET)] + [place.code or unassigned for place in places])
    devices = translated_columns(CHARGEBACK_DEVICE_COLUMNS)
    return [
        (names[0], translated_columns(CHARGEBACK_OVERVIEW_COLUMNS), overview),
        *(
            (name, devices, _device_rows(place))
            for name, place in zip(names[1:], places, strict=True)
        ),
    ]


def _number(value) -> Decimal | None:
    """A stored amount ("7482.3056") as the number a spreadsheet sums; None when there is none."""
    if value is None or value == "":
        return None
    return Decimal(str(value))


def _count(value) -> int | None:
    return None if value is None or value == "" else int(value)


def _with_subscriptions(usage: list[tuple], fees: list[tuple[str, Decimal]]) -> list[tuple]:
    """The usage rows with each device's monthly fee after its usage (a device without usage
    too), so the sheet's cost column adds up to the month's total."""
    rows = usage + [_fee_row(msisdn, cost) for msisdn, cost in fees]
    rows.sort(key=lambda row: row[0] or "")  # stable: a device's usage, then its fee
    return rows


def _fee_row(msisdn: str, cost: Decimal) -> tuple:
    return (msisdn, SUBSCRIPTION, "", None, None, None, cost)
