"""Session settings for one big set-based statement on PostgreSQL (nothing to do on SQLite).

SET LOCAL: they end with the transaction, so it must run inside one.
"""

from django.db import connection


def big_statement_settings(cursor, *, work_mem: str = "256MB") -> None:
    if connection.vendor != "postgresql":
        return
    # A month's sort or hash aggregate stays in memory instead of spilling to disk (the
    # default 4MB makes the totals' GROUP BY write batches to disk), and JIT compilation
    # costs more than it saves on a statement planned once.
    cursor.execute(f"SET LOCAL work_mem = '{work_mem}'")
    cursor.execute("SET LOCAL jit = off")
