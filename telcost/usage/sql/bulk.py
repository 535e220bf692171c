"""Many rows at once: the one way the usage app and the demo write them in bulk.

rows_insert inserts many plain rows at once: COPY on PostgreSQL, executemany on SQLite.
psycopg's executemany sends a statement per row (2.0 s for 18,000 totals rows);
COPY streams them (0.3 s). SQLite's executemany is already in-process and fast.
COPY is several times faster than INSERT for millions of rows (the demo's CDRs).
insert_or_ignore (SQLite) skips the rows a unique constraint already holds;
copy_text (PostgreSQL) streams COPY text made beforehand (an import's staged records).

Values go in as Python values (dates, datetimes, Decimals) and are adapted here exactly
as the ORM would store them (connection.ops.adapt_*, by each column's model field).
"""

from collections.abc import Callable, Iterable, Sequence
from functools import partial

from django.db import connection, models

from telcost.usage.sql import dialect


def _adapters(model: type[models.Model], columns: Sequence[str]) -> list[tuple[int, Callable]]:
    """(position, adapt) of the columns whose values the database driver cannot take as they are."""
    ops = connection.ops
    fields = {field.column: field for field in model._meta.concrete_fields}
    adapters = []
    for position, column in enumerate(columns):
        field = fields[column]
        kind = field.get_internal_type()
        if kind == "DateTimeField":
            adapt = ops.adapt_datetimefield_value
        elif kind == "DateField":
            adapt = ops.adapt_datefield_value
        elif kind == "DecimalField":
            adapt = partial(
                ops.adapt_decimalfield_value,
                max_digits=field.max_digits,
                decimal_places=field.decimal_places,
            )
        else:
            continue
        adapters.append((position, adapt))
    return adapters


def _adapted(
    model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence]
) -> list[list]:
    adapters = _adapters(model, columns)
    adapted = []
    for row in rows:
        values = list(row)
        for position, adapt in adapters:
            value = values[position]
            if value is not None:
                values[position] = adapt(value)
        adapted.append(values)
    return adapted


def rows_insert(model: type[models.Model], columns: Sequence[str], rows: list[Sequence]) -> None:
    if not rows:
        return
    adapted = _adapted(model, columns, rows)
    with connection.cursor() as cursor:
        dialect().insert_rows(cursor, model._meta.db_table, columns, adapted)


def insert_or_ignore(
    model: type[models.Model], columns: Sequence[str], rows: list[Sequence]
) -> int:
    """SQLite: INSERT OR IGNORE, values adapted exactly as the ORM would store them; returns how
    many were inserted."""
    if not rows:
        return 0
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT OR IGNORE INTO {model._meta.db_table} ({', '.join(columns)}) VALUES ({marks})",
            _adapted(model, columns, rows),
        )
        return cursor.rowcount


def copy_text(cursor, table: str, columns: Sequence[str], text: str, *, options: str = "") -> None:
    """PostgreSQL: COPY text in COPY's own format into a table or staging table (options: e.g. its
    DELIMITER)."""
    with cursor.cursor.copy(
        f"COPY {table} ({', '.join(columns)}) FROM STDIN{f' ({options})' if options else ''}"
    ) as copy:
        copy.write(text)
