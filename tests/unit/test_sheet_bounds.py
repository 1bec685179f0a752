"""The 采集表's size is checked by streaming its XML before calamine loads it (issue 16: a 5 KB file whose used
range is the whole sheet aborted the ingest process)."""

from __future__ import annotations

import pytest

from services.ingest.sheet_bounds import MAX_COLUMNS, MAX_IMPORT_ROWS, SheetBoundsError, check_sheet, column_number
from services.ingest.sheets import DATA_SHEET, SheetError, read_rows, template
from tests.handmade_xlsx import cell, workbook


def refused(data: bytes) -> SheetBoundsError:
    with pytest.raises(SheetBoundsError) as caught:
        check_sheet(data, DATA_SHEET)
    return caught.value


def test_a_used_range_that_is_the_whole_sheet_is_refused_by_its_dimension_before_any_cell():
    error = refused(workbook('<dimension ref="A1:XFD1048576"/><sheetData>'
                             f'<row r="1">{cell("A1", "记录编号")}</row></sheetData>'))
    assert (error.status, error.rule) == (422, "sheet.too_wide") and "A1:XFD1048576" in error.message


def test_cells_far_away_are_refused_without_a_dimension():
    wide = refused(workbook(f'<sheetData><row r="1">{cell("A1", "a")}{cell("AH1", "b")}</row></sheetData>'))
    assert wide.rule == "sheet.too_wide" and column_number("AH") > MAX_COLUMNS
    long = refused(workbook(f'<sheetData><row r="1">{cell("A1", "a")}</row>'
                            f'<row r="{MAX_IMPORT_ROWS + 2}">{cell(f"A{MAX_IMPORT_ROWS + 2}", "b")}</row></sheetData>'))
    assert (long.status, long.rule) == (413, "import.too_large")


def test_rows_and_cells_without_references_are_counted():
    unplaced = '<c t="inlineStr"><is><t>x</t></is></c>'
    check_sheet(workbook(f"<sheetData>{f'<row>{unplaced}</row>' * 3}</sheetData>"), DATA_SHEET)  # 3 × 1: fine
    too_wide = unplaced * (MAX_COLUMNS + 1)
    assert refused(workbook(f"<sheetData><row>{too_wide}</row></sheetData>")).rule == "sheet.too_wide"


def test_a_cell_is_placed_by_its_own_reference_and_a_reference_must_be_one():
    far = refused(workbook(f'<sheetData><row r="1">{cell("A1048576", "x")}</row></sheetData>'))
    assert (far.status, far.rule) == (413, "import.too_large")
    assert refused(workbook('<sheetData><row r="²"></row></sheetData>')).rule == "sheet.unreadable"
    assert refused(workbook(f'<sheetData><row r="1">{cell("1A", "x")}</row></sheetData>')).rule == "sheet.unreadable"


def test_broken_sheet_xml_is_refused_not_handed_to_calamine():
    assert refused(workbook('<sheetData><row r="1"><c r="A1"')).rule == "sheet.unreadable"


def test_the_template_passes_and_reads():
    data = template("person")
    check_sheet(data, DATA_SHEET)
    columns, rows = read_rows(data, "person")
    assert columns and list(rows) == []


def test_a_file_that_is_not_a_workbook_is_left_to_the_reader():
    check_sheet(b"not a zip", DATA_SHEET)  # the reader answers sheet.unreadable for it


def test_a_sheet_calamine_cannot_load_is_a_sheet_error_not_a_server_error():
    """A cell naming a shared string the file does not have passed the reader's first check and crashed (500)."""
    with pytest.raises(SheetError) as caught:
        read_rows(workbook('<sheetData><row r="1"><c r="A1" t="s"><v>7</v></c></row></sheetData>'), "person")
    assert caught.value.rule == "sheet.unreadable"
