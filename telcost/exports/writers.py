"""Columns of an export and the csv writer: rows in, a file out, memory flat however many rows.

The xlsx writer is telcost.exports.xlsx. Both take the same columns.
"""

import csv
import io
import itertools
from collections.abc import Iterable
from typing import BinaryIO

COLUMN_KINDS = ("text", "int", "money", "datetime", "date")


class Column:
    """A column of an export: its title, kind (one of COLUMN_KINDS) and width in characters (xlsx)."""

    def __init__(self, title: str, kind: str = "text", width: int = 14) -> None:
        if kind not in COLUMN_KINDS:
            raise ValueError(f"unknown column kind {kind!r}")
        self.title, self.kind, self.width = title, kind, width


def csv_line(values: list) -> str:
    """One row as the csv module writes it (the header of a file written by other means)."""
    text = io.StringIO(newline="")
    csv.writer(text).writerow(values)
    return text.getvalue()


def write_csv(stream: BinaryIO, columns: list[Column], rows: Iterable[tuple]) -> int:
    """Header, then the rows as the csv module writes them: str() of each value, None as an empty field.

    The rows come ready to write (local times and money as text), so rows go to the
    csv module in batches, without a Python call per value.
    """
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
    writer = csv.writer(text)
    writer.writerow([c.title for c in columns])
    count = 0
    for batch in itertools.batched(rows, 5000):
        writer.writerows(batch)
        count += len(batch)
    text.flush()
    text.detach()
    return count
