"""A batch of CDRs into PostgreSQL: COPY the texts into a staging table, then set-based SQL.

Python only recognises each record as canonical (one regular expression, see
parse.py) and hands the line itself to COPY, which does the typing in C. The
month filter, the devices' first days, the dedupe against stored and earlier
records and the insert are each one statement over the whole batch. Records not in
canonical form are checked by parse_row: rejected with its reason, or passed on in
a form COPY reads.
"""

import datetime as dt
from dataclasses import dataclass
from functools import cache

from django.db import connection

from telcost.core.cdr_format import CSV_COLUMNS, billing_zone, parse_row
from telcost.core.cycles import cycle_bounds
from telcost.customers.models import Customer, Device
from telcost.usage.billing.cost import cost_rule
from telcost.usage.imports.devices import devices_for_batch, refused_device_reason
from telcost.usage.imports.parse import SEPARATOR, canonical_text, parsed_text
from telcost.usage.models import CDR
from telcost.usage.sql import CDR_COLUMNS
from telcost.usage.sql.bulk import copy_text

_STAGE = "cdr_import_stage"
# The wire format's columns (what COPY reads, after the record's line), typed as the tables that
# receive them: COPY's input functions parse timestamps and numbers, so Python never builds them.
_STAGE_COLUMNS = ("line", *CSV_COLUMNS)


def _field_of(column: str):
    """The model field a stage column is typed as: msisdn as the device's, the rest as the CDR's."""
    return (Device if column == "msisdn" else CDR)._meta.get_field(column)


@cache
def _create_stage() -> str:
    typed = [f"{column} {_field_of(column).db_type(connection)}" for column in CSV_COLUMNS]
    return (
        f"CREATE TEMP TABLE IF NOT EXISTS {_STAGE} (line bigint, {', '.join(typed)})"
        " ON COMMIT DELETE ROWS"
    )


@dataclass(slots=True)
class CopyBatch:
    """A batch made ready for COPY without the database (copy_batch), so a thread reading ahead can
    make it.

    text: COPY input of the records that can be imported; rejected: (line, reason) of the others.
    """

    text: str
    staged: int
    rejected: list[tuple[int, str]]
    size: int  # records in the batch, rejected ones included

    def __len__(self) -> int:
        return self.size


def copy_batch(batch: list) -> CopyBatch:
    """COPY text of a batch of (line, values); records that cannot be imported are rejected with
    their reason."""
    lines, rejected = [], []
    zone = billing_zone()
    for line, values in batch:
        if isinstance(values, str):  # the provider could not read it into values
            rejected.append((line, values))
            continue
        text = canonical_text(values)
        if text is None:
            try:
                text = parsed_text(parse_row(line, values, zone))
            except ValueError as exc:
                rejected.append((line, str(exc)))
                continue
        lines.append(f"{line}{SEPARATOR}{text}\n")
    return CopyBatch(text="".join(lines), staged=len(lines), rejected=rejected, size=len(batch))


def import_batch_postgres(
    *,
    customer: Customer,
    batch: list | CopyBatch,
    cycle_start: dt.date | None,
    result,
    own_devices_only: bool = False,
) -> None:
    """Import one batch of (line, values), or one made ready by copy_batch, into the customer's
    CDRs, counting
    into result."""
    ready = batch if isinstance(batch, CopyBatch) else copy_batch(batch)
    for line, reason in ready.rejected:
        result.reject(line, reason)
    if not ready.staged:
        return
    zone_name = billing_zone().key
    with connection.cursor() as cursor:
        cursor.execute(_create_stage())
        copy_text(cursor, _STAGE, _STAGE_COLUMNS, ready.text, options="DELIMITER E'\\x1f'")
        staged = ready.staged
        if cycle_start is not None:
            start, end = cycle_bounds(cycle_start)
            cursor.execute(
                f"DELETE FROM {_STAGE} WHERE NOT (started_at >= %s AND started_at < %s)",
                [start, end],
            )
            result.skipped_other_months += cursor.rowcount
            staged -= cursor.rowcount
        cursor.execute(
            f"SELECT msisdn, min((started_at AT TIME ZONE %s)::date) FROM {_STAGE} GROUP BY msisdn",
            [zone_name],
        )
        usable, refused = devices_for_batch(
            customer=customer, first_seen=dict(cursor.fetchall()), own_devices_only=own_devices_only
        )
        if refused:
            cursor.execute(
                f"DELETE FROM {_STAGE} WHERE msisdn = ANY(%s) RETURNING line", [list(refused)]
            )
            refusal = refused_device_reason(own_devices_only)
            for (line,) in sorted(cursor.fetchall()):
                result.reject(line, refusal)
            result.refused_devices += cursor.rowcount
            staged -= cursor.rowcount
        inserted = _insert_staged(
            cursor, customer=customer, cycle_start=cycle_start, zone_name=zone_name
        )
        # The next batch may come in the same transaction (a whole file is one): TRUNCATE, not
        # DELETE,
        # or each batch would scan the dead rows of all the batches before it until the commit.
        cursor.execute(f"TRUNCATE {_STAGE}")
    result.imported += inserted
    result.duplicates += staged - inserted


def _insert_staged(
    cursor, *, customer: Customer, cycle_start: dt.date | None, zone_name: str
) -> int:
    """Insert the staged records that are new; ON CONFLICT skips those stored before (or twice in
    the batch:
    ORDER BY line keeps the first). Returns how many were inserted."""
    if cycle_start is None:
        cycle_sql, params = (
            "date_trunc('month', s.started_at AT TIME ZONE %(zone)s)::date",
            {"zone": zone_name},
        )
    else:
        cycle_sql, params = "%(cycle)s::date", {"cycle": cycle_start}
    computed = {
        "customer_id": "%(customer)s",
        "device_id": "d.id",
        "cost": cost_rule(customer).import_sql("s.provider_cost"),
        "cycle_start": cycle_sql,
    }
    values = ", ".join(computed.get(column, f"s.{column}") for column in CDR_COLUMNS)
    cursor.execute(
        f"INSERT INTO {CDR._meta.db_table} ({', '.join(CDR_COLUMNS)}) SELECT {values} "
        f"FROM {_STAGE} s JOIN {Device._meta.db_table} d ON d.msisdn = s.msisdn AND d.customer_id "
        f"= %(customer)s "
        "ORDER BY s.line ON CONFLICT (customer_id, external_id) DO NOTHING",
        {"customer": customer.pk, **params},
    )
    return cursor.rowcount
