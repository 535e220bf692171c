"""The CDR export's rows as the database computes them, for a million rows at a time.

One query per export, no model objects: the database converts each CDR's time
to local time, looks up the cost center valid on its local date, picks the
standard customer's provider cost, and hands back values ready to write (text
for times and money, so nothing passes through a float). Python only writes.

Local time: a month holds at most two changes of Europe/Amsterdam's UTC offset,
so the offset is a CASE on the UTC instants where it changes, computed here
with zoneinfo: the same rules as the Python conversion the rest of telcost uses.
"""

import datetime as dt
from collections.abc import Iterator
from contextlib import nullcontext

from django.db import connection, transaction
from django.utils import timezone

from telcost.customers.models import CostCenter, CostCenterAssignment, Customer, Device
from telcost.usage.cycles import cycle_bounds
from telcost.usage.models import CDR

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


def _offset_case(changes: list[tuple[dt.datetime, int]], *, sqlite: bool) -> tuple[str, dict]:
    """A CASE giving each CDR's offset: for SQLite as a datetime() modifier, for PostgreSQL in seconds."""
    def value(seconds: int) -> str:
        return f"'{seconds:+d} seconds'" if sqlite else str(seconds)

    whens, params = [], {}
    for number, ((_, offset), (next_instant, _)) in enumerate(zip(changes, changes[1:], strict=False)):
        whens.append(f"WHEN c.started_at < %(change{number})s THEN {value(offset)}")
        # SQLite holds started_at as UTC text 'YYYY-MM-DD HH:MM:SS[.ffffff]', which sorts as time does.
        params[f"change{number}"] = next_instant.replace(tzinfo=None).isoformat(sep=" ") if sqlite else next_instant
    if not whens:
        return value(changes[0][1]), params
    return f"CASE {' '.join(whens)} ELSE {value(changes[-1][1])} END", params


def _cost_center_sqlite(local_date: str) -> tuple[str, str]:
    """SQLite: a lookup per CDR in the (device, -valid_from) index; a table of periods would be scanned per CDR."""
    return (f"CASE WHEN d.id IS NULL THEN NULL ELSE ("
            f"SELECT cc.code FROM {CostCenterAssignment._meta.db_table} a "
            f"JOIN {CostCenter._meta.db_table} cc ON cc.id = a.cost_center_id "
            f"WHERE a.device_id = c.device_id AND a.valid_from <= {local_date} "
            f"ORDER BY a.valid_from DESC LIMIT 1) END"), ""


def _cost_center_postgres(local_date: str) -> tuple[str, str]:
    """PostgreSQL: the customer's periods (one valid_from to the next) hashed once and joined."""
    periods = (f"SELECT a.device_id, a.valid_from, cc.code, "
               f"LEAD(a.valid_from) OVER (PARTITION BY a.device_id ORDER BY a.valid_from) AS valid_until "
               f"FROM {CostCenterAssignment._meta.db_table} a "
               f"JOIN {CostCenter._meta.db_table} cc ON cc.id = a.cost_center_id "
               f"JOIN {Device._meta.db_table} pd ON pd.id = a.device_id WHERE pd.customer_id = %(customer)s")
    return "p.code", (f"LEFT JOIN ({periods}) p ON p.device_id = d.id AND p.valid_from <= {local_date} "
                      f"AND (p.valid_until IS NULL OR {local_date} < p.valid_until) ")


def cdr_export_rows(customer: Customer, cycle_start: dt.date, *, for_xlsx: bool) -> Iterator[tuple]:
    """The cycle's CDRs in time order: (date, device, duration, cost, record type, zone, destination,
    volume, cost center).

    The date is local time: "YYYY-MM-DD HH:MM:SS" (seconds cut off, as isoformat does) for csv, the
    text of Excel's serial day number for xlsx (formatting a float in Python costs more than the rest
    of a row). Cost is the exact decimal text, or None for a CDR not rated yet. The cost center is the
    device's assignment with the latest valid_from on or before the CDR's local date.
    """
    sqlite = connection.vendor == "sqlite"
    offset, params = _offset_case(offset_changes(cycle_start), sqlite=sqlite)
    params.update(customer=customer.pk, cycle=cycle_start.isoformat() if sqlite else cycle_start)
    # A standard customer's cost is the provider's, even before a recalculation wrote it down.
    cost = "c.cost" if customer.is_rateplan else "COALESCE(c.cost, c.provider_cost)"
    if sqlite:
        # The fraction of a second is cut off as text first: SQLite would round it to milliseconds,
        # and 23:59:59.9996 would become the next day.
        local_date = f"date(substr(c.started_at, 1, 19), {offset})"
        shown = (f"CAST(julianday(c.started_at, {offset}) - 2415018.5 AS TEXT)" if for_xlsx
                 else f"datetime(substr(c.started_at, 1, 19), {offset})")
        cost_text = f"CASE WHEN {cost} IS NULL THEN NULL ELSE printf('%%.4f', {cost}) END"
        cost_center, periods_join = _cost_center_sqlite(local_date)
    else:
        local = f"((c.started_at + ({offset}) * interval '1 second') AT TIME ZONE 'UTC')"
        local_date = f"{local}::date"
        shown = (f"(extract(epoch FROM {local}) / 86400 + 25569)::float8::text" if for_xlsx
                 else f"to_char({local}, 'YYYY-MM-DD HH24:MI:SS')")
        cost_text = f"{cost}::text"
        cost_center, periods_join = _cost_center_postgres(local_date)
    sql = (
        f"SELECT {shown}, d.msisdn, c.duration_s, {cost_text}, c.record_type, c.zone, c.destination, c.volume_kb, "
        f"{cost_center} "
        f"FROM {CDR._meta.db_table} c "
        f"LEFT JOIN {Device._meta.db_table} d ON d.id = c.device_id AND d.customer_id = c.customer_id "
        f"{periods_join}"
        f"WHERE c.customer_id = %(customer)s AND c.cycle_start = %(cycle)s "
        f"ORDER BY c.started_at, c.id"
    )
    # PostgreSQL streams a server-side cursor only inside a transaction (outside one it would first
    # materialise the whole result, WITH HOLD). SQLite reads without one: an IMMEDIATE transaction
    # would hold the write lock for the whole export.
    with transaction.atomic() if not sqlite else nullcontext(), connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(_FETCH_ROWS):
            yield from batch
