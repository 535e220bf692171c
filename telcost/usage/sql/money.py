"""The one money formula that differs between the databases (the rest is telcost.core.money)."""

from django.db import connection


def money_from_e4(expression: str) -> str:
    """SQL: whole e4 integers back into a value for a DECIMAL(…, 4) column."""
    if connection.vendor == "postgresql":
        return f"(CAST({expression} AS NUMERIC(20, 4)) / 10000)"
    return f"(({expression}) / 10000.0)"
