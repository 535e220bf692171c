"""The usage app's SQL on PostgreSQL: what differs from SQLite (sqlite.py), behind
usage.sql.dialect()."""

from collections.abc import Sequence
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction

from telcost.core.money import E4


class PostgresSql:
    # How rating finds a row again: its physical address, without an index probe (rating_sql).
    row_locator = "ctid"
    # Sort text byte by byte (SQLite's own order, and the same as C.UTF-8's) instead of through the
    # locale.
    byte_order = ' COLLATE "C"'
    # Ends each step of a WITH so the planner does not fold it into the next (rating_sql).
    fence = "OFFSET 0"

    @staticmethod
    def money_from_e4(expression: str) -> str:
        """SQL: whole e4 integers back into a value for a DECIMAL(…, 4) column."""
        return f"(CAST({expression} AS NUMERIC(20, 4)) / 10000)"

    @staticmethod
    def exact_money(expression: str) -> str:
        """SQL: a money expression in a form that sums and compares exactly.

        numeric: exact as it is, and cheaper than the e4 integers.
        """
        return expression

    @staticmethod
    def money_value(total) -> Decimal:
        """A sum of exact_money as the Decimal it stands for."""
        return Decimal(total).quantize(E4)

    @staticmethod
    def big_statement(cursor, *, work_mem: str = "256MB", parallel: bool = False) -> None:
        """Session settings for one big set-based statement.

        SET LOCAL: they end with the transaction, so it must run inside one.
        """
        # A month's sort or hash aggregate stays in memory instead of spilling to disk (the
        # default 4MB makes the totals' GROUP BY write batches to disk), and JIT compilation
        # costs more than it saves on a statement planned once.
        cursor.execute(f"SET LOCAL work_mem = '{work_mem}'")
        cursor.execute("SET LOCAL jit = off")
        if parallel:
            # A read of a month's CDRs joined to something the planner cannot estimate (the
            # periods of cost_center_periods as arrays): with the start-up of parallel workers
            # costed at nothing it scans, joins and sorts the month in two workers and merges.
            # The CDR export: 4.0 s -> 2.9 s for 1M CDRs. Chargeback hashed the whole month
            # alone instead: 5.6 s -> 3.7 s (load 10 on 2 cores).
            cursor.execute("SET LOCAL parallel_setup_cost = 0")
            cursor.execute("SET LOCAL parallel_tuple_cost = 0.001")

    @staticmethod
    def rating_session(cursor) -> None:
        """The plan the rating UPDATE must get, for the rest of the transaction."""
        # The changed rows are found by ctid: a TID lookup each, whether one row changed or all.
        # A hash join would read the whole table to build its table, whatever few rows changed.
        cursor.execute("SET LOCAL enable_hashjoin = off")
        cursor.execute("SET LOCAL enable_mergejoin = off")
        # Read the month in storage order (a bitmap or sequential scan) and sort it, never row by
        # row through an index: when the month's index had the device in its key, that visited
        # every page once per device on it, 3-6 s against 0.8 s for 1M CDRs once rating had left
        # old row versions. The (customer, cycle) index keeps table order, but a bitmap or
        # sequential scan reads each page once whatever the index holds.
        cursor.execute("SET LOCAL enable_indexscan = off")

    @staticmethod
    def rating_parts() -> int:
        """In how many parts to rate: several only on PostgreSQL, and only when no caller's
        transaction is open.

        A PostgreSQL statement runs on one core, and the rating UPDATE cannot use parallel
        workers, so on a 2-core machine two parts in two connections rate a 1M-CDR month in 2.9 s
        instead of 4.8 s. Each part commits on its own. That is safe because rating is idempotent
        and a device's costs are all in one part: a failed or killed step is simply rated again,
        and a reader sees every device either rated or not. Inside a caller's transaction the
        parts could not see its uncommitted rows, nor be rolled back with it, so there it is one
        statement. SQLite has one writer at a time: one statement.
        """
        if connection.in_atomic_block:
            return 1
        return settings.RATING_PARALLEL_PARTS

    @staticmethod
    def read_scope():
        """A transaction around a big read, for big_statement's SET LOCAL settings."""
        return transaction.atomic()

    @staticmethod
    def periods_relation(cursor, periods: Sequence[tuple]) -> tuple[str, list]:
        """(SQL of a relation (device_id, valid_from, valid_until, period), its parameters).

        `periods` are (device id, UTC instant it begins, UTC instant it ends or None, number).
        They travel as array parameters (as in the CDR export), which parallel workers can read.
        """
        columns = [list(column) for column in zip(*periods, strict=True)] or [[], [], [], []]
        return (
            "(SELECT * FROM unnest(%s::bigint[], %s::timestamptz[], %s::timestamptz[], "
            "%s::int[]) AS u(device_id, valid_from, valid_until, period))",
            columns,
        )

    @staticmethod
    def statistics_refresh(table: str) -> None:
        """ANALYZE: a sample of the table (30,000 rows at the default statistics target), so about
        as long for 10 million rows as for 1 million."""
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")

    @staticmethod
    def insert_rows(cursor, table: str, columns: Sequence[str], rows: list) -> None:
        """Rows already adapted (sql/bulk.py): COPY streams them."""
        with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
