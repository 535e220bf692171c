"""Streaming writers: rows in, a file out, memory flat however many rows.

xlsx through xlsxwriter's constant_memory mode (each row is flushed as it is
written), with typed cells and more sheets past a sheet's row limit; csv through
the csv module.
"""

import csv
import datetime as dt
import io
from collections.abc import Iterable
from decimal import Decimal
from typing import BinaryIO

import xlsxwriter

XLSX_MAX_ROWS = 1_048_576  # a sheet's limit, header included


class Column:
    def __init__(self, title: str, kind: str = "text", width: int = 14) -> None:
        self.title, self.kind, self.width = title, kind, width  # kind: text | int | money | datetime | date


def write_csv(stream: BinaryIO, columns: list[Column], rows: Iterable[tuple]) -> int:
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
    writer = csv.writer(text)
    writer.writerow([c.title for c in columns])
    count = 0
    for row in rows:
        writer.writerow([_csv_value(v) for v in row])
        count += 1
    text.flush()
    text.detach()
    return count


def _csv_value(value):
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if value is None:
        return ""
    return value


def write_xlsx(path: str, sheets: list[tuple[str, list[Column], Iterable[tuple]]], *, max_rows: int = XLSX_MAX_ROWS) -> int:
    """Write named sheets; a sheet that outgrows max_rows continues on "<name> (2)", … ."""
    workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "remove_timezone": True})
    formats = {
        "header": workbook.add_format({"bold": True, "bg_color": "#E8EEF7", "bottom": 1}),
        "money": workbook.add_format({"num_format": "€ #,##0.0000"}),
        "datetime": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
        "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
    }
    total = 0
    for name, columns, rows in sheets:
        part, sheet, row_index = 1, None, 0
        for row in rows:
            if sheet is None or row_index >= max_rows:
                sheet = _new_sheet(workbook, name if part == 1 else f"{name} ({part})", columns, formats)
                part += 1
                row_index = 1
            for col, (column, value) in enumerate(zip(columns, row, strict=True)):
                _write_cell(sheet, row_index, col, column.kind, value, formats)
            row_index += 1
            total += 1
        if sheet is None:
            _new_sheet(workbook, name, columns, formats)
    workbook.close()
    return total


def _new_sheet(workbook, name: str, columns: list[Column], formats):
    sheet = workbook.add_worksheet(name[:31])
    for col, column in enumerate(columns):
        sheet.set_column(col, col, column.width)
        sheet.write_string(0, col, column.title, formats["header"])
    sheet.freeze_panes(1, 0)
    return sheet


def _write_cell(sheet, row: int, col: int, kind: str, value, formats) -> None:
    if value is None or value == "":
        return
    if kind == "money":
        sheet.write_number(row, col, float(Decimal(value)), formats["money"])
    elif kind == "int":
        sheet.write_number(row, col, int(value))
    elif kind == "datetime":
        sheet.write_datetime(row, col, value, formats["datetime"])
    elif kind == "date":
        sheet.write_datetime(row, col, dt.datetime.combine(value, dt.time()), formats["date"])
    else:
        sheet.write_string(row, col, str(value))
