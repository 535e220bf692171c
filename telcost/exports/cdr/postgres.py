"""The CDR export on PostgreSQL: each row computed in one query, csv out through COPY.

PostgreSQL computes each row in one query: the CDR's local time, the cost
center valid on its local date, the standard customer's provider cost, values
as text ready to write (so money never passes through a float); csv goes out
through COPY.

Local time on PostgreSQL: a month holds at most two changes of Europe/Amsterdam's
UTC offset, so the offset is a CASE on the UTC instants where it changes,
computed here with zoneinfo: the same rules as the Python conversion everywhere
else in telcost (and on SQLite).
"""

import datetime as dt
from collections.abc import Iterator
from itertools import islice
from typing import BinaryIO

from django.db import connection, transaction
from django.utils import timezone

from telcost.core.cycles import cycle_bounds, day_start
from telcost.customers.models import Customer, Device
from telcost.customers.selectors import cost_center_periods
from telcost.exports.writers import csv_line, csv_safe_sql, csv_safe_sql_params
from telcost.usage.billing.cost import cost_rule
from telcost.usage.models import CDR
from telcost.usage.sql.postgres import PostgresSql

_FETCH_ROWS = 5000
_COPY_CHUNK_ROWS = 10_000


def offset_changes(cycle_start: dt.date) -> list[tuple[dt.datetime, int]]:
    """(UTC instant, offset in seconds from then on) of the local time zone over the cycle, the
    first from its start.

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
            low, high = (
                instant,
                following,
            )  # offset_at(low) is the old one, offset_at(high) the new one
            while high - low > dt.timedelta(seconds=1):
                middle = low + (high - low) / 2
                low, high = (middle, high) if offset_at(middle) == changes[-1][1] else (low, middle)
            changes.append((high, offset_at(high)))
        instant = following
    return changes


def _offset_case(changes: list[tuple[dt.datetime, int]]) -> tuple[str, dict]:
    """A CASE giving each CDR's UTC offset in seconds."""
    whens, params = [], {}
    for number, ((_, offset), (next_instant, _)) in enumerate(
        zip(changes, changes[1:], strict=False)
    ):
        whens.append(f"WHEN c.started_at < %(change{number})s THEN {offset}")
        params[f"change{number}"] = next_instant
    if not whens:
        return str(changes[0][1]), params
    return f"CASE {' '.join(whens)} ELSE {changes[-1][1]} END", params


def _cost_center_periods(customer: Customer, params: dict) -> str:
    """The customer's cost center periods as a relation (device_id, valid_from, valid_until, code).

    Each period runs from the instant its valid_from's local day begins until the next one's
    (a CDR's local date only grows with its started_at: Europe/Amsterdam's offset never changes
    across local midnight), so a CDR is matched by its started_at alone: no local date computed per
    CDR, and the
    periods travel as array parameters, which parallel workers can read (a subquery with a
    window function would keep the join in the leader).
    """
    periods = cost_center_periods(customer)
    devices = [period.device_id for period in periods]
    starts = [day_start(period.valid_from) for period in periods]
    untils = [
        None if period.valid_until is None else day_start(period.valid_until) for period in periods
    ]
    codes = [period.code for period in periods]
    params.update(period_device=devices, period_from=starts, period_until=untils, period_code=codes)
    return (
        "(SELECT * FROM unnest(%(period_device)s::bigint[], %(period_from)s::timestamptz[], "
        "%(period_until)s::timestamptz[], %(period_code)s::text[]) AS u(device_id, valid_from, "
        "valid_until, code))"
    )


def _postgres_select(
    customer: Customer, cycle_start: dt.date, *, for_xlsx: bool, for_copy: bool = False
) -> tuple[str, dict]:
    offset, params = _offset_case(offset_changes(cycle_start))
    params.update(customer=customer.pk, cycle=cycle_start)
    cost = cost_rule(customer).read_sql("c")
    local = f"((c.started_at + ({offset}) * interval '1 second') AT TIME ZONE 'UTC')"
    # The timestamp's own text (ISO datestyle, see _export_settings) is what to_char would give at a
    # third of the cost; date_trunc cuts the fraction off as isoformat(timespec="seconds") does.
    shown = (
        f"(extract(epoch FROM {local}) / 86400 + 25569)::float8::text"
        if for_xlsx
        else f"date_trunc('second', {local})::text"
    )
    periods = _cost_center_periods(customer, params)
    msisdn, destination, code = "d.msisdn", "c.destination", "p.code"
    if for_copy:
        # COPY's csv quotes an empty string ("") where the csv module writes nothing: empty
        # text goes out as NULL. Text a spreadsheet would run as a formula is neutralised
        # (writers.csv_safe's rule).
        msisdn = csv_safe_sql(msisdn)
        destination = csv_safe_sql("NULLIF(c.destination, '')")
        code = csv_safe_sql("NULLIF(p.code, '')")
        params.update(csv_safe_sql_params())
    sql = (
        f"SELECT {shown}, {msisdn}, c.duration_s, {cost}::text, c.record_type, c.zone, "
        f"{destination}, c.volume_kb, {code} "
        f"FROM {CDR._meta.db_table} c "
        f"LEFT JOIN {Device._meta.db_table} d ON d.id = c.device_id AND d.customer_id = "
        f"c.customer_id "
        f"LEFT JOIN {periods} p ON p.device_id = c.device_id AND c.started_at >= p.valid_from "
        f"AND (p.valid_until IS NULL OR c.started_at < p.valid_until) "
        f"WHERE c.customer_id = %(customer)s AND c.cycle_start = %(cycle)s "
        f"ORDER BY c.started_at, c.id"
    )
    return sql, params


def rows(customer: Customer, cycle_start: dt.date, *, for_xlsx: bool) -> Iterator[tuple]:
    """See exports.cdr.rows."""
    sql, params = _postgres_select(customer, cycle_start, for_xlsx=for_xlsx)
    # A server-side cursor streams only inside a transaction; outside one it is declared WITH HOLD
    # and PostgreSQL first materialises the whole result.
    with transaction.atomic(), connection.chunked_cursor() as cursor:
        _export_settings()
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(_FETCH_ROWS):
            yield from batch


def _export_settings() -> None:
    """For the rest of the transaction: the sort of a million CDRs in memory (it spilled 110 MB to
    disk with the default 4 MB), timestamps as ISO text, and parallel workers for COPY's query (a
    server-side cursor never gets them; see PostgresSql.big_statement): the planner scans, joins
    and sorts the month in two workers and merges, 4.0 s -> 2.9 s for 1M CDRs."""
    with connection.cursor() as cursor:
        PostgresSql.big_statement(cursor, parallel=True)
        cursor.execute("SET LOCAL datestyle = 'ISO, YMD'")


def write_csv(customer: Customer, cycle_start: dt.date, stream: BinaryIO, header: list[str]) -> int:
    """Write the csv export with PostgreSQL's COPY: bytes straight from the server, no Python per
    value.

    The bytes are what the csv module writes of rows(): COPY's csv quotes the same
    characters (comma, quote, CR, LF), empty text is sent as NULL, and each record's LF becomes the
    csv module's CRLF. COPY hands over one record at a time; they are joined _COPY_CHUNK_ROWS at a
    time, and where a chunk holds no quote no value holds a newline, so every LF in it ends a
    record.
    """
    sql, params = _postgres_select(customer, cycle_start, for_xlsx=False, for_copy=True)
    stream.write(csv_line(header).encode())
    count = 0
    with transaction.atomic(), connection.cursor() as cursor:
        _export_settings()
        with cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
            records = iter(copy)
            while chunk := list(islice(records, _COPY_CHUNK_ROWS)):
                data = b"".join(chunk)
                if b'"' in data:  # a quoted value may hold a newline of its own: record by record
                    parts = []
                    for record in chunk:
                        parts += (record[:-1], b"\r\n")
                    stream.write(b"".join(parts))
                else:
                    stream.write(data.replace(b"\n", b"\r\n"))
                count += len(chunk)
    return count
