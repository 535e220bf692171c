"""The CDR export's rows, a million at a time, without model objects.

PostgreSQL computes each row in one query: the CDR's local time, the cost
center valid on its local date, the standard customer's provider cost, values
as text ready to write (so money never passes through a float); csv goes out
through COPY. SQLite fetches and sorts, and Python shapes the rows (cdr_sqlite:
SQLite's date functions are slow).

Local time on PostgreSQL: a month holds at most two changes of Europe/Amsterdam's
UTC offset, so the offset is a CASE on the UTC instants where it changes,
computed here with zoneinfo: the same rules as the Python conversion everywhere
else in telcost (and on SQLite).
"""

import datetime as dt
from collections.abc import Iterator
from typing import BinaryIO

from django.db import connection, transaction
from django.utils import timezone

from telcost.customers.models import CostCenter, CostCenterAssignment, Customer, Device
from telcost.exports.cdr_sqlite import sqlite_cdr_rows
from telcost.exports.writers import csv_line
from telcost.usage.cycles import cycle_bounds
from telcost.usage.models import CDR
from telcost.usage.sql_tuning import big_statement_settings

_FETCH_ROWS = 5000


def offset_changes(cycle_start: dt.date) -> list[tuple[dt.datetime, int]]:
    """(UTC instant, offset in seconds from then on) of the local time zone over the cycle, the first from its start.

    The scan runs a day past either end and by the hour (offsets change on whole
    hours), then narrows each change to the second.
    """
    tz = timezone.get_default_timezone()
    start, end = cycle_bounds(cycle_start)
    instant = start.astimezone(dt.UTC) - dt.timedelta(days=1)
    stop = end.astimezone(dt.UTC) + dt.timedelta(days=1)

    def offset_at(moment: dt.datetime) -> int:
        return int(moment.astimezone(tz).utcoffset().total_seconds())

    changes = [(instant, offset_at(instant))]
    while instant < stop:
        following = instant + dt.timedelta(hours=1)
        if offset_at(following) != changes[-1][1]:
            low, high = instant, following  # offset_at(low) is the old one, offset_at(high) the new one
            while high - low > dt.timedelta(seconds=1):
                middle = low + (high - low) / 2
                low, high = (middle, high) if offset_at(middle) == changes[-1][1] else (low, middle)
            changes.append((high, offset_at(high)))
        instant = following
    return changes


def _offset_case(changes: list[tuple[dt.datetime, int]]) -> tuple[str, dict]:
    """A CASE giving each CDR's UTC offset in seconds."""
    whens, params = [], {}
    for number, ((_, offset), (next_instant, _)) in enumerate(zip(changes, changes[1:], strict=False)):
        whens.append(f"WHEN c.started_at < %(change{number})s THEN {offset}")
        params[f"change{number}"] = next_instant
    if not whens:
        return str(changes[0][1]), params
    return f"CASE {' '.join(whens)} ELSE {changes[-1][1]} END", params


def _postgres_select(customer: Customer, cycle_start: dt.date, *, for_xlsx: bool, for_copy: bool = False
                     ) -> tuple[str, dict]:
    offset, params = _offset_case(offset_changes(cycle_start))
    params.update(customer=customer.pk, cycle=cycle_start)
    # A standard customer's cost is the provider's, even before a recalculation wrote it down.
    cost = "c.cost" if customer.is_rateplan else "COALESCE(c.cost, c.provider_cost)"
    local = f"((c.started_at + ({offset}) * interval '1 second') AT TIME ZONE 'UTC')"
    local_date = f"{local}::date"
    shown = (f"(extract(epoch FROM {local}) / 86400 + 25569)::float8::text" if for_xlsx
             else f"to_char({local}, 'YYYY-MM-DD HH24:MI:SS')")
    # The customer's cost center periods, one valid_from to the next, hashed once and joined.
    periods = (f"SELECT a.device_id, a.valid_from, cc.code, "
               f"LEAD(a.valid_from) OVER (PARTITION BY a.device_id ORDER BY a.valid_from) AS valid_until "
               f"FROM {CostCenterAssignment._meta.db_table} a "
               f"JOIN {CostCenter._meta.db_table} cc ON cc.id = a.cost_center_id "
               f"JOIN {Device._meta.db_table} pd ON pd.id = a.device_id WHERE pd.customer_id = %(customer)s")
    # COPY's csv quotes an empty string ("") where the csv module writes nothing: empty text goes out as NULL.
    destination, code = ("NULLIF(c.destination, '')", "NULLIF(p.code, '')") if for_copy else ("c.destination", "p.code")
    sql = (
        f"SELECT {shown}, d.msisdn, c.duration_s, {cost}::text, c.record_type, c.zone, {destination}, c.volume_kb, "
        f"{code} "
        f"FROM {CDR._meta.db_table} c "
        f"LEFT JOIN {Device._meta.db_table} d ON d.id = c.device_id AND d.customer_id = c.customer_id "
        f"LEFT JOIN ({periods}) p ON p.device_id = d.id AND p.valid_from <= {local_date} "
        f"AND (p.valid_until IS NULL OR {local_date} < p.valid_until) "
        f"WHERE c.customer_id = %(customer)s AND c.cycle_start = %(cycle)s "
        f"ORDER BY c.started_at, c.id"
    )
    return sql, params


def cdr_export_rows(customer: Customer, cycle_start: dt.date, *, for_xlsx: bool) -> Iterator[tuple]:
    """The cycle's CDRs in time order: (date, device, duration, cost, record type, zone, destination,
    volume, cost center).

    The date is local time: "YYYY-MM-DD HH:MM:SS" (seconds cut off, as isoformat does) for csv, the
    text of Excel's serial day number for xlsx (formatting a float in Python costs more than the rest
    of a row). Cost is the exact decimal text, or None for a CDR not rated yet. The cost center is the
    device's assignment with the latest valid_from on or before the CDR's local date, or None.
    """
    if connection.vendor == "sqlite":
        return sqlite_cdr_rows(customer, cycle_start, for_xlsx=for_xlsx)
    return _postgres_rows(customer, cycle_start, for_xlsx=for_xlsx)


def _postgres_rows(customer: Customer, cycle_start: dt.date, *, for_xlsx: bool) -> Iterator[tuple]:
    sql, params = _postgres_select(customer, cycle_start, for_xlsx=for_xlsx)
    # A server-side cursor streams only inside a transaction; outside one it is declared WITH HOLD
    # and PostgreSQL first materialises the whole result.
    with transaction.atomic(), connection.chunked_cursor() as cursor:
        _sort_in_memory()
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(_FETCH_ROWS):
            yield from batch


def _sort_in_memory() -> None:
    """For the rest of the transaction: the sort of a million CDRs spilled 110 MB to disk with the default 4 MB."""
    with connection.cursor() as cursor:
        big_statement_settings(cursor)


def postgres_cdr_csv(customer: Customer, cycle_start: dt.date, stream: BinaryIO, header: list[str]) -> int:
    """Write the csv export with PostgreSQL's COPY: bytes straight from the server, no Python per value.

    The bytes are what the csv module writes of cdr_export_rows: COPY's csv quotes the same
    characters (comma, quote, CR, LF), empty text is sent as NULL, and each record's LF becomes the
    csv module's CRLF (COPY hands over one record at a time; newlines inside a quoted value stay).
    """
    sql, params = _postgres_select(customer, cycle_start, for_xlsx=False, for_copy=True)
    stream.write(csv_line(header).encode())
    count = 0
    write = stream.write
    with transaction.atomic(), connection.cursor() as cursor:
        _sort_in_memory()
        with cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
            for record in copy:
                write(record[:-1])
                write(b"\r\n")
                count += 1
    return count
