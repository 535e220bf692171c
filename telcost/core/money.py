"""Exact money inside SQL on both databases.

SQLite has no decimal arithmetic (a NUMERIC column holds a float), so money is
computed in whole 1/10,000 € (e4) integers with exact half-up rounding, and only
turned into the column's decimal at the very end. PostgreSQL's numeric would be
exact anyway; using the same integer formulas keeps both paths bit-identical.
"""

from decimal import ROUND_HALF_UP, Decimal

E4 = Decimal("0.0001")
MICRO = Decimal("0.000001")


def to_micro(value: Decimal) -> int:
    """A rate in whole 1/1,000,000 € (rate plans allow six decimals)."""
    return int((Decimal(value) / MICRO).to_integral_value(rounding=ROUND_HALF_UP))


def to_e4(value: Decimal) -> int:
    return int((Decimal(value) / E4).to_integral_value(rounding=ROUND_HALF_UP))


def from_e4(value: int | None) -> Decimal:
    return (Decimal(int(value or 0)) * E4).quantize(E4)


def half_up_div(numerator: str, denominator: int) -> str:
    """SQL for round-half-up(numerator / denominator) of a non-negative integer expression.

    The CAST keeps the division an integer one on PostgreSQL whatever type a bound
    parameter in the numerator was given.
    """
    return f"((2 * CAST({numerator} AS BIGINT) + {denominator}) / {2 * denominator})"


def e4_of(column: str) -> str:
    """SQL: a money column as whole e4 integers (exact: a stored float is within 1e-9 of its
    value)."""
    return f"CAST(ROUND({column} * 10000) AS BIGINT)"
