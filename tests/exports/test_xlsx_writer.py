"""Our streaming xlsx writer, read back with openpyxl (and beside xlsxwriter, which it replaced)."""

import datetime as dt
import zipfile
from decimal import Decimal

import openpyxl
import pytest
import xlsxwriter

from telcost.exports.writers import Column
from telcost.exports.xlsx import write_xlsx

COLUMNS = [
    Column("When", "datetime", 20),
    Column("Text", "text", 16),
    Column("N", "int", 8),
    Column("Cost", "money", 12),
    Column("Day", "date", 11),
]


def read(path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(path)


def test_every_cell_type_reads_back_typed_and_formatted(tmp_path):
    path = tmp_path / "types.xlsx"
    rows = [
        (
            dt.datetime(2026, 10, 25, 2, 59, 59, 250_000),
            "31611111111",
            61,
            Decimal("0.1234"),
            dt.date(2026, 10, 15),
        ),
        (
            "46320.5",
            "voice",
            "7",
            "12345678.1234",
            None,
        ),  # values the database computed: serial, ints, money as text
        (None, "", None, None, None),
    ]
    assert write_xlsx(str(path), [("CDRs", COLUMNS, rows)]) == 3
    sheet = read(path)["CDRs"]
    got = list(sheet.iter_rows(values_only=True))
    assert got[0] == ("When", "Text", "N", "Cost", "Day")
    assert got[1] == (
        dt.datetime(2026, 10, 25, 2, 59, 59, 250_000),
        "31611111111",
        61,
        0.1234,
        dt.datetime(2026, 10, 15),
    )
    assert got[2] == (dt.datetime(2026, 10, 25, 12, 0), "voice", 7, 12345678.1234, None)
    assert got[3] == (None, None, None, None, None)
    assert [sheet.cell(row=2, column=c).number_format for c in (1, 4, 5)] == [
        "yyyy-mm-dd hh:mm:ss",
        "€ #,##0.0000",
        "yyyy-mm-dd",
    ]
    assert (
        sheet.cell(row=2, column=2).data_type == "s"
        and sheet.cell(row=2, column=3).data_type == "n"
    )


def test_money_is_written_as_its_exact_decimal_text_and_never_from_a_float(tmp_path):
    path = tmp_path / "money.xlsx"
    write_xlsx(
        str(path),
        [
            (
                "M",
                [Column("Cost", "money")],
                [(Decimal("0.1000"),), ("99999999.9999",), (Decimal("-0.0005"),)],
            )
        ],
    )
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<v>0.1000</v>" in xml and "<v>99999999.9999</v>" in xml and "<v>-0.0005</v>" in xml
    with pytest.raises(TypeError, match="never a float"):
        write_xlsx(str(tmp_path / "float.xlsx"), [("M", [Column("Cost", "money")], [(0.1,)])])


def test_header_is_frozen_bold_and_columns_have_xlsxwriters_widths(tmp_path):
    ours, theirs = tmp_path / "ours.xlsx", tmp_path / "theirs.xlsx"
    write_xlsx(str(ours), [("CDRs", COLUMNS, [])])
    book = xlsxwriter.Workbook(str(theirs))
    sheet = book.add_worksheet("CDRs")
    for i, column in enumerate(COLUMNS):
        sheet.set_column(i, i, column.width)
    book.close()
    mine, reference = read(ours)["CDRs"], read(theirs)["CDRs"]
    assert (
        mine.freeze_panes == "A2"
        and mine["A1"].font.b
        and mine["A1"].fill.fgColor.rgb == "FFE8EEF7"
    )
    assert [mine.column_dimensions[c].width for c in "ABCDE"] == [
        reference.column_dimensions[c].width for c in "ABCDE"
    ]
    assert list(mine.iter_rows(values_only=True)) == [
        ("When", "Text", "N", "Cost", "Day")
    ]  # an empty export: the header


def test_awkward_text_reads_back_as_xlsxwriter_writes_it(tmp_path):
    texts = [
        "a & b <c> \"d\" 'e'",
        "line\nbreak",
        "tab\there",
        " padded ",
        "bell\x07",
        "cr\rlf",
        "_x0041_ literal",
        "€ ünïcödé 📞",
        "1,2;3",
    ]
    ours, theirs = tmp_path / "ours.xlsx", tmp_path / "theirs.xlsx"
    write_xlsx(str(ours), [("T", [Column("Text")], [(t,) for t in texts])])
    book = xlsxwriter.Workbook(str(theirs), {"constant_memory": True})
    sheet = book.add_worksheet("T")
    for r, text in enumerate(texts, start=1):
        sheet.write_string(r, 0, text)
    book.close()
    mine = [r[0] for r in read(ours)["T"].iter_rows(min_row=2, values_only=True)]
    reference = [r[0] for r in read(theirs)["T"].iter_rows(min_row=2, values_only=True)]
    assert mine == reference
    assert (
        mine[0] == texts[0]
        and mine[1] == "line\nbreak"
        and mine[3] == " padded "
        and mine[7] == texts[7]
    )


def test_long_sheets_continue_without_an_empty_last_sheet(tmp_path):
    path = tmp_path / "split.xlsx"
    rows = [(f"r{i}", i) for i in range(6)]
    columns = [Column("Name"), Column("N", "int")]
    assert (
        write_xlsx(
            str(path), [("A & B", columns, rows), ("Summary", columns, [("total", 6)])], max_rows=4
        )
        == 7
    )
    book = read(path)
    assert book.sheetnames == [
        "A & B",
        "A & B (2)",
        "Summary",
    ]  # 3 + 3 rows fill two sheets exactly
    assert [r[1] for r in book["A & B (2)"].iter_rows(min_row=2, values_only=True)] == [3, 4, 5]
    assert all(
        book[name]["A1"].value == "Name" and book[name].freeze_panes == "A2"
        for name in book.sheetnames
    )
    assert list(book["Summary"].iter_rows(values_only=True)) == [("Name", "N"), ("total", 6)]


def test_the_package_has_the_parts_a_spreadsheet_program_looks_for(tmp_path):
    path = tmp_path / "parts.xlsx"
    write_xlsx(str(path), [("S", [Column("x")], [("a",)])])
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        names = set(z.namelist())
    assert {
        "[Content_Types].xml",
        "_rels/.rels",
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "xl/styles.xml",
        "xl/worksheets/sheet1.xml",
    } <= names
