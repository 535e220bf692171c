"""The usage app's SQL on SQLite, the embedded default: what differs from PostgreSQL
(postgres.py)."""

import contextlib
import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from telcost.core.money import e4_of, from_e4


class SqliteSql:
    # Rating finds a row again by its rowid (the id), without an index probe.
    row_locator = "id"
    # SQLite compares text byte by byte already.
    byte_order = ""
    # SQLite's planner needs no fence between the steps of a WITH.
    fence = ""

    @staticmethod
    def money_from_e4(expression: str) -> str:
        """SQL: whole e4 integers back into a value for a DECIMAL(…, 4) column."""
        return f"(({expression}) / 10000.0)"

    @staticmethod
    def exact_money(expression: str) -> str:
        """SQL: a money expression in a form that sums and compares exactly: whole e4 integers (a
        NUMERIC
        column holds a float)."""
        return e4_of(expression)

    @staticmethod
    def money_value(total) -> Decimal:
        """A sum of exact_money as the Decimal it stands for."""
        return from_e4(total)

    @staticmethod
    def big_statement(cursor, *, work_mem: str = "256MB", parallel: bool = False) -> None:
        """Nothing to set on SQLite."""

    @staticmethod
    def rating_session(cursor) -> None:
        """Nothing to set on SQLite."""

    @staticmethod
    def rating_parts() -> int:
        """SQLite has one writer at a time: one statement (see PostgresSql.rating_parts)."""
        return 1

    @staticmethod
    def read_scope():
        """No transaction around a big read: telcost opens SQLite's transactions IMMEDIATE (env.py),
        which would take the write lock for a read and queue it behind an import."""
        return contextlib.nullcontext()

    @staticmethod
    def periods_relation(cursor, periods: Sequence[tuple]) -> tuple[str, list]:
        """(SQL of a relation (device_id, valid_from, valid_until, period), its parameters).

        `periods` are (device id, UTC instant it begins, UTC instant it ends or None, number).
        SQLite joins a CTE or json_each by scanning it for every CDR; a temporary table indexed
        by device is probed instead. SQLite keeps started_at as UTC text "YYYY-MM-DD
        HH:MM:SS[.ffffff]", so the instants are written the same way and compare as text.
        """
        cursor.execute("DROP TABLE IF EXISTS temp.telcost_periods")
        cursor.execute(
            "CREATE TEMP TABLE telcost_periods "
            "(device_id INTEGER, valid_from TEXT, valid_until TEXT, period INTEGER)"
        )
        cursor.executemany(
            "INSERT INTO temp.telcost_periods VALUES (%s, %s, %s, %s)",
            [
                (device_id, _utc_text(begins), _utc_text(ends), number)
                for device_id, begins, ends, number in periods
            ],
        )
        cursor.execute(
            "CREATE INDEX temp.telcost_periods_device ON telcost_periods (device_id, valid_from)"
        )
        return "temp.telcost_periods", []

    @staticmethod
    def statistics_refresh(table: str) -> None:
        """Nothing: telcost's SQLite has no statistics (sqlite_stat1) and plans from its indexes
        alone, which holds however many rows an import adds; statistics once taken would have to
        be kept fresh from then on."""

    @staticmethod
    def insert_rows(cursor, table: str, columns: Sequence[str], rows: list) -> None:
        """Rows already adapted (sql/bulk.py): SQLite's executemany is already in-process and
        fast."""
        marks = ", ".join(["%s"] * len(columns))
        cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


def _utc_text(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
