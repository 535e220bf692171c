"""Columns of an export and the csv writer: rows in, a file out, memory flat however many rows.

The xlsx writer is telcost.exports.xlsx. Both take the same columns.
"""

import codecs
import csv
import io
import itertools
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import BinaryIO

# "value": a column of mixed values (a summary's Value): numbers stay numbers, the rest is text.
COLUMN_KINDS = ("text", "int", "money", "datetime", "date", "value")

# CSV injection (OWASP): a spreadsheet opening a csv runs a cell that begins with one of these
# as a formula (=HYPERLINK(…), =cmd|' /C calc'!A0, @SUM(1)). Such text gets a leading quote,
# unless it is a plain number ("-12", "+31201234567"), which a spreadsheet reads as a number.
# This is the rule; csv_safe applies it in Python, csv_safe_sql in PostgreSQL's COPY.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = r"[+-]?[0-9]+(\.[0-9]+)?"
_PLAIN_NUMBER = re.compile(PLAIN_NUMBER)
_FORMULA_START_SET = frozenset(FORMULA_STARTS)


def csv_safe(text: str) -> str:
    """Text as a csv cell a spreadsheet shows and never runs (see FORMULA_STARTS)."""
    if text[:1] in _FORMULA_START_SET and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_safe_sql(expression: str) -> str:
    """csv_safe in PostgreSQL for a text expression; its parameters: csv_safe_sql_params()."""
    return (
        f"(CASE WHEN left({expression}, 1) = ANY(%(formula_starts)s) "
        f"AND {expression} !~ %(plain_number)s "
        f"THEN '''' || {expression} ELSE {expression} END)"
    )


def csv_safe_sql_params() -> dict:
    return {"formula_starts": list(FORMULA_STARTS), "plain_number": f"^{PLAIN_NUMBER}$"}


class Column:
    """A column of an export: its title, kind (one of COLUMN_KINDS) and width in characters
    (xlsx)."""

    def __init__(self, title: str, kind: str = "text", width: int = 14) -> None:
        if kind not in COLUMN_KINDS:
            raise ValueError(f"unknown column kind {kind!r}")
        self.title, self.kind, self.width = title, kind, width


def csv_line(values: list) -> str:
    """One row as the csv module writes it (the header of a file written by other means)."""
    text = io.StringIO(newline="")
    csv.writer(text).writerow(values)
    return text.getvalue()


class CsvConventions:
    """How a csv file is written: the separator, the decimal mark of amounts, a byte order mark.

    rfc4180 is the API's default (",", "7482.3056", no BOM); excel-nl is what a Dutch Excel opens
    by double-click as columns and numbers (";", "7482,3056", a UTF-8 BOM so é stays é).
    """

    def __init__(self, name: str, delimiter: str, decimal: str, bom: bool) -> None:
        self.name, self.delimiter, self.decimal, self.bom = name, delimiter, decimal, bom


RFC4180 = CsvConventions("rfc4180", ",", ".", bom=False)
EXCEL_NL = CsvConventions("excel-nl", ";", ",", bom=True)
CSV_DIALECTS = {d.name: d for d in (RFC4180, EXCEL_NL)}


def write_csv(
    stream: BinaryIO,
    columns: list[Column],
    rows: Iterable[tuple],
    dialect: CsvConventions = RFC4180,
) -> int:
    """Header, then the rows as the csv module writes them: str() of each value, None as an empty
    field, text made csv_safe; amounts with the dialect's decimal mark.

    The rows come ready to write (local times and money as text), so rows go to the
    csv module in batches; only the text columns' values pass through csv_safe.
    """
    if dialect.bom:
        stream.write(codecs.BOM_UTF8)
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
    writer = csv.writer(text, delimiter=dialect.delimiter)
    writer.writerow([c.title for c in columns])
    texts = [i for i, c in enumerate(columns) if c.kind in ("text", "value")]
    amounts = []
    if dialect.decimal != ".":
        amounts = [i for i, c in enumerate(columns) if c.kind in ("money", "value")]
    count = 0
    for batch in itertools.batched(rows, 5000):
        if texts or amounts:
            batch = [_safe_row(row, texts, amounts, dialect.decimal) for row in batch]
        writer.writerows(batch)
        count += len(batch)
    text.flush()
    text.detach()
    return count


def _safe_row(row: tuple, texts: list[int], amounts: list[int], decimal: str) -> list:
    values = list(row)
    converted = set()
    for i in amounts:  # an amount (a Decimal, or a money column's text) gets the decimal mark
        value = values[i]
        if isinstance(value, Decimal) or (
            isinstance(value, str) and i not in texts and _PLAIN_NUMBER.fullmatch(value)
        ):
            values[i] = str(value).replace(".", decimal)
            converted.add(i)
    for i in texts:
        if i not in converted and isinstance(values[i], str):
            values[i] = csv_safe(values[i])
    return values
