"""Rows to the XML of a worksheet's <sheetData>: one compiled loop per column layout.

Why compiled: a row of nine cells rendered by nine function calls cost about
2 µs; one f-string per row with every cell written inline costs a third of
that, and at a million rows the difference is most of an export's time. The
loop is generated from the column kinds once per sheet; it holds no data, only
names of the constants and helpers below.

A cell carries no reference ("B7"): a row is numbered and its cells follow in
order, an empty one as <c/>. Numbers are written as the text they arrive in
(int, Decimal, or text the database computed), so money never passes through a
float; a float in a money column is refused.
"""

import datetime as dt
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from xml.sax.saxutils import escape

STYLE_HEADER, STYLE_MONEY, STYLE_DATETIME, STYLE_DATE = (
    1,
    2,
    3,
    4,
)  # positions in styles.xml's <cellXfs>
TEXT_CACHE_LIMIT = (
    20_000  # distinct values remembered per text column: devices, zones, cost centers repeat
)

_EXCEL_EPOCH = dt.datetime(1899, 12, 30)  # serial 0, with Excel's 1900 leap-year bug folded in
# XML 1.0 cannot carry these control characters; Excel writes them as _xHHHH_ and escapes a literal
# "_xHHHH_".
_CONTROL = re.compile(r"_x[0-9a-fA-F]{4}_|[\x00-\x08\x0b-\x1f]")
_NEEDS_CARE = re.compile(r"[&<>\x00-\x08\x0b-\x1f]|_x|^\s|\s$")

# What the generated loop refers to by name.
_NAMESPACE = {
    "EMPTY": "<c/>",
    "NOTHING": "",
    "ROW_OPEN": '<row r="',
    "ROW_MID": '">',
    "ROW_CLOSE": "</row>",
    "INT_OPEN": "<c><v>",
    "MONEY_OPEN": f'<c s="{STYLE_MONEY}"><v>',
    "DATETIME_OPEN": f'<c s="{STYLE_DATETIME}"><v>',
    "DATE_OPEN": f'<c s="{STYLE_DATE}"><v>',
    "NUMBER_CLOSE": "</v></c>",
}


def excel_serial(value) -> str:
    """A naive local datetime or a date as Excel's serial day number; a number is taken as a serial
    already."""
    if isinstance(value, dt.datetime):
        delta = value - _EXCEL_EPOCH
        if not delta.seconds and not delta.microseconds:
            return str(delta.days)
        return repr(delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400)
    if isinstance(value, dt.date):
        return str((value - _EXCEL_EPOCH.date()).days)
    return str(value)


def text_cell(value) -> str:
    """An inline string cell, escaped as XML and Excel need; None and "" are an empty cell."""
    if value is None or value == "":
        return "<c/>"
    text = value if isinstance(value, str) else str(value)
    if not _NEEDS_CARE.search(text):
        return f'<c t="inlineStr"><is><t>{text}</t></is></c>'
    text = _CONTROL.sub(
        lambda m: "_x005F" + m.group() if len(m.group()) > 1 else f"_x{ord(m.group()):04X}_", text
    )
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<c t="inlineStr"><is><t{space}>{escape(text)}</t></is></c>'


class TextCells(dict):
    """Text value -> its cell, remembered for the first TEXT_CACHE_LIMIT distinct values of a
    column."""

    def __missing__(self, value) -> str:
        cell = text_cell(value)
        if len(self) < TEXT_CACHE_LIMIT:
            self[value] = cell
        return cell


def _refuse_float(value):
    raise TypeError(f"money must be a Decimal or its decimal text, never a float ({value!r})")


def value_cell(value) -> str:
    """A cell of a column of mixed values (a summary's): a number as a number (a Decimal styled
    as money), anything else as text."""
    if value is None or value == "":
        return "<c/>"
    if value.__class__ is int:
        return f"<c><v>{value}</v></c>"
    if isinstance(value, Decimal):
        return f'<c s="{STYLE_MONEY}"><v>{value}</v></c>'
    if isinstance(value, float):
        _refuse_float(value)
    return text_cell(value)


def _cell_expression(kind: str, v: str, index: int) -> str:
    if kind == "text":
        return f"{{text{index}[{v}]}}"
    if kind == "value":
        return f"{{value_cell({v})}}"
    empty = f"EMPTY if {v} is None or {v} == NOTHING else "
    if kind == "int":
        return f'{{{empty}f"{{INT_OPEN}}{{{v}}}{{NUMBER_CLOSE}}"}}'
    if kind == "money":
        value = f"{v} if {v}.__class__ is not float else refuse_float({v})"
        return f'{{{empty}f"{{MONEY_OPEN}}{{{value}}}{{NUMBER_CLOSE}}"}}'
    opening = "DATETIME_OPEN" if kind == "datetime" else "DATE_OPEN"
    value = f"{v} if {v}.__class__ is str else excel_serial({v})"
    return f'{{{empty}f"{{{opening}}}{{{value}}}{{NUMBER_CLOSE}}"}}'


def compile_row_renderer(kinds: list[str]) -> Callable[[Iterator[tuple], int], list[str]]:
    """render(rows, number) -> the XML of each row of `rows`, numbered from number + 1.

    A row of the wrong length raises ValueError (the unpacking in the loop).
    """
    names = [f"v{i}" for i in range(len(kinds))]
    cells = "".join(
        _cell_expression(kind, v, i) for i, (kind, v) in enumerate(zip(kinds, names, strict=True))
    )
    source = (
        "def render(rows, number):\n"
        "    out = []\n"
        "    append = out.append\n"
        f"    for {', '.join(names)}, in rows:\n"
        "        number += 1\n"
        f"        append(f'{{ROW_OPEN}}{{number}}{{ROW_MID}}{cells}{{ROW_CLOSE}}')\n"
        "    return out\n"
    )
    namespace = dict(
        _NAMESPACE, excel_serial=excel_serial, refuse_float=_refuse_float, value_cell=value_cell
    )
    namespace.update({f"text{i}": TextCells() for i, kind in enumerate(kinds) if kind == "text"})
    exec(compile(source, f"<xlsx row renderer {','.join(kinds)}>", "exec"), namespace)  # noqa: S102 - our own source
    return namespace["render"]
