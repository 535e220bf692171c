"""The usage app's SQL plumbing that differs by database: bulk inserts, session tuning, money.

dialect() is the one place the usage app asks which database it runs on: PostgresSql
(postgres.py) or SqliteSql (sqlite.py), each with the same narrow interface, so rating
and the totals keep both measured algorithms without a check of their own.
"""

from functools import cache

from django.db import connection, transaction

from telcost.usage.models import CDR
from telcost.usage.sql.postgres import PostgresSql
from telcost.usage.sql.sqlite import SqliteSql

# The CDR table's columns in model order (the id left to the database): what an import or the
# demo inserts, and the order of the value tuples they build.
CDR_COLUMNS = tuple(field.column for field in CDR._meta.concrete_fields if not field.primary_key)


UsageSql = PostgresSql | SqliteSql


def dialect() -> UsageSql:
    return _dialect_of(connection.vendor)


@cache
def _dialect_of(vendor: str) -> UsageSql:
    return PostgresSql() if vendor == "postgresql" else SqliteSql()


def statistics_refresh_on_commit(table: str, *, written: int, threshold: int) -> None:
    """When the transaction that wrote `written` rows to `table` commits (at once outside one):
    the planner's statistics of the table refreshed, if it wrote at least `threshold` rows.

    What runs right after a big write (an export after an import, the usage page after a
    recalculation) must not be planned on the statistics of before: autovacuum gets there
    later, or never where it is off. A refresh that fails is logged, never the write's failure.
    """
    if written >= threshold:
        transaction.on_commit(lambda: dialect().statistics_refresh(table), robust=True)
