"""A batch of CDRs into SQLite: each record typed in Python (parse_row), then INSERT OR IGNORE."""

import datetime as dt
from typing import TYPE_CHECKING

from django.db import connection

from telcost.core.cdr_format import ParsedRow, Row, billing_zone, parse_row
from telcost.customers.models import Customer
from telcost.usage.billing.cost import cost_rule
from telcost.usage.imports.devices import devices_for_batch, refused_device_reason
from telcost.usage.models import CDR
from telcost.usage.sql import CDR_COLUMNS

if TYPE_CHECKING:
    from telcost.usage.imports.pipeline import ImportResult


def import_batch_sqlite(*, customer: Customer, batch: list[Row], cycle_start: dt.date | None,
                        result: "ImportResult", own_devices_only: bool) -> None:
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
    usable, _ = devices_for_batch(customer=customer, first_seen=first_seen, own_devices_only=own_devices_only)
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
            customer.pk, device_id, row.external_id, row.started_at, row.record_type, row.zone, row.destination,
            row.duration_s, row.volume_kb, row.provider_cost, rule.stored_on_import(row.provider_cost),
            row.cycle_start,
        )
    inserted = insert_or_ignore(list(new.values()))
    result.imported += inserted
    result.duplicates += len(new) - inserted


def insert_or_ignore(rows: list[tuple]) -> int:
    """INSERT OR IGNORE, values adapted exactly as the ORM would store them; returns how many were inserted."""
    if not rows:
        return 0
    ops = connection.ops
    adapted = [
        (c, d, e, ops.adapt_datetimefield_value(started), rt, z, dest, dur, vol,
         ops.adapt_decimalfield_value(pc, 14, 4), None if cost is None else ops.adapt_decimalfield_value(cost, 14, 4),
         ops.adapt_datefield_value(cycle))
        for c, d, e, started, rt, z, dest, dur, vol, pc, cost, cycle in rows
    ]
    placeholders = ", ".join(["%s"] * len(CDR_COLUMNS))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT OR IGNORE INTO {CDR._meta.db_table} ({', '.join(CDR_COLUMNS)}) VALUES ({placeholders})", adapted
        )
        return cursor.rowcount
