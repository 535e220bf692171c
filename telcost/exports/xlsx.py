"""A streaming xlsx writer of our own: rows in, an OOXML workbook out, memory flat.

Why not xlsxwriter: it builds every cell through several Python calls and
formats its XML attribute by attribute; 1,000,000 rows of nine columns took
48 s even from a Python list (issue 5 asks for 20 s). An xlsx is a zip of a few
XML parts, and a sheet's rows are the only large one: here each row becomes one
f-string (xlsx_rows compiles the loop per column layout), rows are joined in
batches and streamed into the zip with a low zlib level.

What a reader gets: typed cells (numbers, dates with a date format, money as the
exact decimal text with a money format, inline strings), a bold header row that
stays frozen, column widths, and further sheets "<name> (2)", … past a sheet's
row limit. Cells carry no reference ("A2"): rows are numbered and an empty cell
is written as <c/>, which keeps the columns in place and the XML a third smaller.
"""

import itertools
import zipfile
from collections.abc import Iterable
from xml.sax.saxutils import escape

from telcost.exports.writers import Column
from telcost.exports.xlsx_rows import STYLE_HEADER, compile_row_renderer

XLSX_MAX_ROWS = 1_048_576  # a sheet's limit, header included
_BATCH_ROWS = 2000
MONEY_FORMAT = "€ #,##0.0000"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
DATE_FORMAT = "yyyy-mm-dd"


class XlsxStreamWriter:
    """Write sheets one after another straight into the zip; close() adds the small parts around
    them."""

    def __init__(self, path: str, *, max_rows: int = XLSX_MAX_ROWS, compresslevel: int = 1) -> None:
        if max_rows < 2:
            raise ValueError("a sheet needs room for its header and a row")
        self.max_rows = max_rows
        self._zip = zipfile.ZipFile(
            path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel
        )
        self._sheet_names: list[str] = []
        self._stream = None  # the sheet being written, if any

    def write_sheet(self, name: str, columns: list[Column], rows: Iterable[tuple]) -> int:
        """Write rows under a header; past max_rows they continue on "<name> (2)", … . Returns the
        row count."""
        render = compile_row_renderer([c.kind for c in columns])
        rows = iter(rows)
        total, part = 0, 1
        while True:
            written = self._write_one_sheet(
                name if part == 1 else f"{name} ({part})", columns, render, rows, first=part == 1
            )
            total += written
            if written < self.max_rows - 1:
                return total
            part += 1

    def _write_one_sheet(self, name, columns, render, rows, *, first: bool) -> int:
        """One sheet of at most max_rows - 1 rows; a continuation sheet with no rows left is not
        written."""
        capacity, count, stream = self.max_rows - 1, 0, None
        while count < capacity:
            # Rows joined in batches: few calls into zlib, little memory.
            batch = render(itertools.islice(rows, min(_BATCH_ROWS, capacity - count)), count + 1)
            if not batch:
                break
            if stream is None:
                stream = self._open_sheet(name, columns)
            stream.write("".join(batch).encode())
            count += len(batch)
        if stream is None:
            if not first:
                return 0
            stream = self._open_sheet(name, columns)
        stream.write(_SHEET_END.encode())
        stream.close()
        self._stream = None
        return count

    def _open_sheet(self, name: str, columns: list[Column]):
        self._sheet_names.append(name[:31])
        number = len(self._sheet_names)
        stream = self._zip.open(f"xl/worksheets/sheet{number}.xml", "w", force_zip64=True)
        stream.write(_sheet_start(columns, selected=number == 1).encode())
        self._stream = stream
        return stream

    def abort(self) -> None:
        """Give up half-way: close what is open; the caller throws the incomplete file away."""
        if self._stream is not None:
            self._stream.close()
            self._stream = None
        self._zip.close()

    def close(self) -> None:
        names = self._sheet_names
        self._zip.writestr("[Content_Types].xml", _content_types(len(names)))
        self._zip.writestr("_rels/.rels", _ROOT_RELS)
        self._zip.writestr("docProps/app.xml", _APP)
        self._zip.writestr("xl/workbook.xml", _workbook(names))
        self._zip.writestr("xl/_rels/workbook.xml.rels", _workbook_rels(len(names)))
        self._zip.writestr("xl/styles.xml", _STYLES)
        self._zip.close()


def write_xlsx(
    path: str,
    sheets: list[tuple[str, list[Column], Iterable[tuple]]],
    *,
    max_rows: int = XLSX_MAX_ROWS,
) -> int:
    """Write named sheets; a sheet that outgrows max_rows continues on "<name> (2)", … . Returns all
    rows."""
    writer = XlsxStreamWriter(path, max_rows=max_rows)
    try:
        total = sum(writer.write_sheet(name, columns, rows) for name, columns, rows in sheets)
    except BaseException:
        writer.abort()
        raise
    writer.close()
    return total


# --- the fixed parts -----------------------------------------------------------------------------

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_SHEET_END = "</sheetData></worksheet>"


def _column_width(width: float) -> float:
    """Characters as Excel stores them for Calibri 11 (7-pixel digits, 5 pixels of padding), as
    xlsxwriter does."""
    pixels = int(width * 7 + 0.5) + 5
    return int(pixels / 7 * 256) / 256


def _sheet_start(columns: list[Column], *, selected: bool) -> str:
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{_column_width(c.width)}" customWidth="1"/>'
        for i, c in enumerate(columns, start=1)
    )
    selected_attribute = 'tabSelected="1" ' if selected else ""
    header = "".join(
        f'<c t="inlineStr" s="{STYLE_HEADER}"><is><t>{escape(c.title)}</t></is></c>'
        for c in columns
    )
    return (
        f'{_XML_HEAD}<worksheet xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
        f'<sheetViews><sheetView {selected_attribute}workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
        f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols>'
        f'<sheetData><row r="1">{header}</row>'
    )


def _content_types(sheets: int) -> str:
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, sheets + 1)
    )
    return (
        f'{_XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/docProps/app.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
        f"{overrides}</Types>"
    )


_ROOT_RELS = (
    f'{_XML_HEAD}<Relationships xmlns="{_PKG_REL_NS}">'
    f'<Relationship Id="rId1" Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL_NS}/extended-properties" Target="docProps/app.xml"/>'
    "</Relationships>"
)

_APP = (
    f"{_XML_HEAD}<Properties "
    f'xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    "<Application>telcost</Application></Properties>"
)


def _workbook(names: list[str]) -> str:
    sheets = "".join(
        f'<sheet name="{escape(name, {chr(34): "&quot;"})}" sheetId="{i}" r:id="rId{i}"/>'
        for i, name in enumerate(names, start=1)
    )
    return (
        f'{_XML_HEAD}<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
        f'<bookViews><workbookView activeTab="0"/></bookViews><sheets>{sheets}</sheets></workbook>'
    )


def _workbook_rels(sheets: int) -> str:
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="{_REL_NS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, sheets + 1)
    )
    styles = f'<Relationship Id="rId{sheets + 1}" Type="{_REL_NS}/styles" Target="styles.xml"/>'
    return f'{_XML_HEAD}<Relationships xmlns="{_PKG_REL_NS}">{rels}{styles}</Relationships>'


# cellXfs: 0 plain, 1 header (bold, light blue fill, thin bottom border), 2 money, 3 date and time,
# 4 date.
_STYLES = (
    f'{_XML_HEAD}<styleSheet xmlns="{_MAIN_NS}">'
    f'<numFmts count="3"><numFmt numFmtId="164" formatCode="{escape(MONEY_FORMAT)}"/>'
    f'<numFmt numFmtId="165" formatCode="{DATETIME_FORMAT}"/><numFmt numFmtId="166" '
    f'formatCode="{DATE_FORMAT}"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill '
    'patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFE8EEF7"/><bgColor '
    'indexed="64"/></patternFill></fill></fills>'
    '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
    '<border><left/><right/><top/><bottom style="thin"><color '
    'auto="1"/></bottom><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" '
    'applyBorder="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" '
    'applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
