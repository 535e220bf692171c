"""The bulk import of a device inventory CSV (SPEC part 2 "Master data"): one transaction, one
verdict per line.

Columns `msisdn,iccid,label,user_name,cost_center_code,activated_on,deactivated_on`. A line names
a device of this customer (updated), a new msisdn (created) or is rejected with its reason; a
device of another customer is rejected without saying whose. An empty cell leaves the device's
value as it is (an inventory file never erases by omission); `activated_on` is required for a new
device. A cost center code is the device's cost center: a new device is assigned from its
activated_on, a device whose cost center today is another one from today on.

Idempotent: a second run of the same file on the same day changes nothing (every line is then
unchanged), so the job's step may run again.
"""

import codecs
import csv
import datetime as dt
import io
from collections.abc import Callable
from typing import BinaryIO

from django.db import transaction

from telcost.core.cdr_format import msisdn_valid
from telcost.customers.models import CostCenter, CostCenterAssignment, Customer, Device
from telcost.customers.selectors import cost_centers_on
from telcost.customers.services import (
    MSISDN_TAKEN,
    CustomerInputError,
    device_dates_check,
    device_fields_check,
)

COLUMNS = [
    "msisdn",
    "iccid",
    "label",
    "user_name",
    "cost_center_code",
    "activated_on",
    "deactivated_on",
]
_FIELDS = ["iccid", "label", "user_name", "activated_on", "deactivated_on"]
_PROGRESS_EVERY = 500
_MAX_ERRORS = 1000  # enough to act on; a result stays a readable size whatever the file


class DeviceImportRefused(ValueError):
    """The whole file cannot be read (not UTF-8, not the header): no line is imported."""


def _lines(stream: BinaryIO) -> csv.reader:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="strict", newline="")
    return csv.reader(text)


def device_import_header_check(head: bytes) -> None:
    """Refuse at once (before a job) a file that cannot be an inventory: empty, not UTF-8, or
    another header."""
    if not head.strip():
        raise DeviceImportRefused("file: the file is empty")
    first = head.split(b"\n", 1)[0]
    try:
        text = codecs.decode(first, "utf-8-sig")
    except UnicodeDecodeError:
        raise DeviceImportRefused("file: not UTF-8 text") from None
    header = [c.strip().lower() for c in next(csv.reader([text.rstrip("\r")]), [])]
    if header != COLUMNS:
        raise DeviceImportRefused(f"file: the first line must be {','.join(COLUMNS)}")


@transaction.atomic
def devices_import_csv(
    *,
    customer: Customer,
    stream: BinaryIO,
    today: dt.date,
    progress: Callable[[int], None] | None = None,
) -> dict:
    """Import the file: {created, updated, unchanged, rejected, errors: [{line, reason}]}."""
    result = {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0, "errors": []}
    try:
        rows = list(enumerate(_lines(stream), start=1))
    except UnicodeDecodeError:
        raise DeviceImportRefused("file: not UTF-8 text") from None
    except csv.Error as exc:
        raise DeviceImportRefused(f"file: not CSV ({exc})") from None
    if not rows or [c.strip().lower() for c in rows[0][1]] != COLUMNS:
        raise DeviceImportRefused(f"file: the first line must be {','.join(COLUMNS)}")
    rows = [(n, values) for n, values in rows[1:] if any(v.strip() for v in values)]
    msisdns = {values[0].strip() for _, values in rows if values}
    known = {d.msisdn: d for d in Device.objects.filter(msisdn__in=msisdns).select_for_update()}
    centers = {c.code: c for c in CostCenter.objects.filter(customer=customer)}
    current = {p.device_id: p.code for p in cost_centers_on(customer, today).values()}
    seen: set[str] = set()

    def reject(line: int, reason: str) -> None:
        result["rejected"] += 1
        if len(result["errors"]) < _MAX_ERRORS:
            result["errors"].append({"line": line, "reason": reason})

    for done, (line, values) in enumerate(rows, start=1):
        if progress is not None and done % _PROGRESS_EVERY == 0:
            progress(done)
        try:
            verdict = _import_line(customer, values, known, centers, current, seen, today)
        except CustomerInputError as exc:
            reject(line, str(exc))
            continue
        result[verdict] += 1
    if progress is not None:
        progress(len(rows))
    return result


def _import_line(customer, values, known, centers, current, seen, today) -> str:
    if len(values) != len(COLUMNS):
        raise CustomerInputError(f"line: {len(COLUMNS)} columns expected, found {len(values)}")
    cells = dict(zip(COLUMNS, (v.strip() for v in values), strict=True))
    msisdn = cells["msisdn"]
    if not msisdn_valid(msisdn):
        raise CustomerInputError("msisdn: must be 6 to 20 digits")
    if msisdn in seen:
        raise CustomerInputError("msisdn: on an earlier line of this file too")
    seen.add(msisdn)
    fields = device_fields_check({name: cells[name] for name in _FIELDS if cells[name]})
    code = cells["cost_center_code"]
    center = centers.get(code) if code else None
    if code and center is None:
        raise CustomerInputError(f"cost_center_code: no cost center {code[:64]!r}")
    device = known.get(msisdn)
    if device is not None and device.customer_id != customer.pk:
        raise CustomerInputError(MSISDN_TAKEN)
    if device is None:
        if "activated_on" not in fields:
            raise CustomerInputError("activated_on: required for a new device")
        device = Device(customer=customer, msisdn=msisdn, **fields)
        device_dates_check(device)
        device.save()  # one entry in the audit log per device, through its signal
        known[msisdn] = device
        if center is not None:
            CostCenterAssignment.objects.create(
                device=device, cost_center=center, valid_from=device.activated_on
            )
            current[device.pk] = center.code
        return "created"
    changed = [name for name, value in fields.items() if getattr(device, name) != value]
    for name in changed:
        setattr(device, name, fields[name])
    device_dates_check(device)
    if changed:
        device.save(update_fields=changed)
    if center is not None and current.get(device.pk) != center.code:
        CostCenterAssignment.objects.update_or_create(
            device=device, valid_from=today, defaults={"cost_center": center}
        )
        current[device.pk] = center.code
        changed.append("cost_center")
    return "updated" if changed else "unchanged"
