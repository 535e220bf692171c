"""A batch of CDRs into SQLite: each record typed in Python (parse_row), then INSERT OR IGNORE
(sql/bulk.py)."""

import datetime as dt
from typing import TYPE_CHECKING

from telcost.core.cdr_format import ParsedRow, Row, billing_zone, parse_row
from telcost.customers.models import Customer
from telcost.usage.billing.cost import cost_rule
from telcost.usage.imports.devices import devices_for_batch, refused_device_reason
from telcost.usage.models import CDR
from telcost.usage.sql import CDR_COLUMNS
from telcost.usage.sql.bulk import insert_or_ignore

if TYPE_CHECKING:
    from telcost.usage.imports.pipeline import ImportResult


def import_batch_sqlite(
    *,
    customer: Customer,
    batch: list[Row],
    cycle_start: dt.date | None,
    result: "ImportResult",
    own_devices_only: bool,
) -> None:
    parsed: list[ParsedRow] = []
    zone = billing_zone()
    for line, values in batch:
        if isinstance(values, str):
            result.reject(line, values)
            continue
        try:
            row = parse_row(line, values, zone)
        except ValueError as exc:
            result.reject(line, str(exc))
            continue
        if cycle_start is not None and row.cycle_start != cycle_start:
            result.skipped_other_months += 1
            continue
        parsed.append(row)
    if not parsed:
        return
    first_seen: dict[str, dt.date] = {}
    for row in parsed:
        if row.msisdn not in first_seen or row.local_date < first_seen[row.msisdn]:
            first_seen[row.msisdn] = row.local_date
    usable, _ = devices_for_batch(
        customer=customer, first_seen=first_seen, own_devices_only=own_devices_only
    )
    refusal = refused_device_reason(own_devices_only)
    rule = cost_rule(customer)
    new: dict[str, tuple] = {}
    for row in parsed:
        device_id = usable.get(row.msisdn)
        if device_id is None:
            result.reject(row.line, refusal)
            result.refused_devices += 1
            continue
        if row.external_id in new:
            result.duplicates += 1
            continue
        new[row.external_id] = (
            customer.pk,
            device_id,
            row.external_id,
            row.started_at,
            row.record_type,
            row.zone,
            row.destination,
            row.duration_s,
            row.volume_kb,
            row.provider_cost,
            rule.stored_on_import(row.provider_cost),
            row.cycle_start,
        )
    inserted = insert_or_ignore(CDR, CDR_COLUMNS, list(new.values()))
    result.imported += inserted
    result.duplicates += len(new) - inserted
