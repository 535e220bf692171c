"""The CDR export's rows and csv, a million at a time, without model objects.

PostgreSQL computes each row in one query and sends the csv through COPY
(postgres.py); SQLite fetches and sorts, and Python shapes the rows (sqlite.py:
SQLite's date functions are slow). The database is asked once, here.
"""

import datetime as dt
from collections.abc import Iterator
from typing import BinaryIO

from django.db import connection

from telcost.customers.models import Customer
from telcost.exports.cdr import postgres, sqlite

_DIALECTS = {"postgresql": postgres, "sqlite": sqlite}


def rows(customer: Customer, cycle_start: dt.date, *, for_xlsx: bool) -> Iterator[tuple]:
    """The cycle's CDRs in time order: (date, device, duration, cost, record type, zone,
    destination,
    volume, cost center).

    The date is local time: "YYYY-MM-DD HH:MM:SS" (seconds cut off, as isoformat does) for csv, the
    text of Excel's serial day number for xlsx (formatting a float in Python costs more than the
    rest
    of a row). Cost is the exact decimal text, or None for a CDR not rated yet. The cost center is
    the
    device's assignment with the latest valid_from on or before the CDR's local date, or None.
    """
    return _DIALECTS[connection.vendor].rows(customer, cycle_start, for_xlsx=for_xlsx)


def write_csv(customer: Customer, cycle_start: dt.date, stream: BinaryIO, header: list[str]) -> int:
    """The CDRs as csv, header first: through PostgreSQL's COPY there, as lines Python writes
    directly on
    SQLite; returns how many CDRs."""
    return _DIALECTS[connection.vendor].write_csv(customer, cycle_start, stream, header)
