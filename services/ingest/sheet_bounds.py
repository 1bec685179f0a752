"""The 采集表's size checked before it is loaded (上传文件边界): one upload cannot take the ingest process down.

calamine loads a sheet as a dense range from A1 to its last cell: a 5 KB file with cells in A1 and XFD1048576
asks for 16,384 × 1,048,576 cells (hundreds of GiB) and the process aborts. So the data sheet's XML is streamed
first (expat, constant memory, nothing kept): its ``<dimension>`` and every row and cell reference. A sheet
wider than MAX_COLUMNS is refused (422 ``sheet.too_wide``), one longer than the import's row limit is refused
(413 ``import.too_large``) before a cell is loaded, and a sheet part whose unpacked XML is over
MAX_SHEET_XML_BYTES (a zip bomb) is refused (413) without unpacking it.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from xml.etree import ElementTree
from xml.parsers import expat

MAX_IMPORT_ROWS = 100_000
MAX_COLUMNS = 32  #: the widest template has 17 columns, plus 错误原因
MAX_SHEET_XML_BYTES = 512 * 1024 * 1024  #: unpacked; 100,000 full rows of the widest template are ~150 MB
MAX_PART_BYTES = 4 * 1024 * 1024  #: workbook.xml and its relationships
CHUNK = 1024 * 1024
CELL = re.compile(r"\$?([A-Z]+)\$?([0-9]+)", re.ASCII)  #: a cell reference; its size is checked, not its form
DIGITS = re.compile(r"[0-9]+", re.ASCII)
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


class SheetBoundsError(ValueError):
    """The sheet is larger than an import takes: ``status`` 413 (too long, too big) or 422 (too wide)."""

    def __init__(self, status: int, rule: str, message: str, message_zh: str) -> None:
        super().__init__(message)
        self.status, self.rule, self.message, self.message_zh = status, rule, message, message_zh


def column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def check_sheet(data: bytes, sheet_name: str) -> None:
    """Refuse the workbook if the named sheet is too wide, too long or too big; silent when it is fine or when
    the file is not a readable xlsx (the reader then says why)."""
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
        path = _sheet_path(book, sheet_name)
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, ValueError, zlib.error, EOFError, NotImplementedError):
        return  # not a workbook this check can open: calamine's own reader answers sheet.unreadable
    if path is None or path not in book.namelist():
        return
    size = book.getinfo(path).file_size
    if size > MAX_SHEET_XML_BYTES:
        raise SheetBoundsError(413, "sheet.too_big", f"the sheet unpacks to {size} bytes; at most "
                               f"{MAX_SHEET_XML_BYTES}", f"工作表解压后 {size} 字节，超过上限 {MAX_SHEET_XML_BYTES}")
    with book.open(path) as part:
        try:
            _stream(part)
        except (expat.ExpatError, zipfile.BadZipFile, EOFError, zlib.error) as error:  # never half-checked
            raise SheetBoundsError(422, "sheet.unreadable", f"the sheet's XML is not readable: {error}",
                                   "工作表内容无法读取") from None


def _sheet_path(book: zipfile.ZipFile, sheet_name: str) -> str | None:
    """The zip path of the named sheet, from xl/workbook.xml and its relationships."""
    workbook, rels = (_small_xml(book, name) for name in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"))
    rel_id = next((sheet.get(f"{{{NS_REL}}}id") for sheet in workbook.iter()
                   if sheet.tag.endswith("}sheet") and sheet.get("name") == sheet_name), None)
    target = next((rel.get("Target") for rel in rels.iter() if rel.get("Id") == rel_id), None)
    if rel_id is None or not target:
        return None
    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"


def _small_xml(book: zipfile.ZipFile, name: str) -> ElementTree.Element:
    if book.getinfo(name).file_size > MAX_PART_BYTES:
        raise ValueError(f"{name} is too large")
    return ElementTree.fromstring(book.read(name))


def _stream(part) -> None:
    """Every ``<dimension>``, ``<row>`` and ``<c>`` reference, checked as it streams past (a cell's own reference
    places it, whatever its row says)."""
    position = {"row": 0, "column": 0}

    def start(tag: str, attributes: dict) -> None:
        name = tag.rsplit("}", 1)[-1]
        reference = attributes.get("r")
        if name == "dimension":
            last = CELL.fullmatch(attributes.get("ref", "").split(":")[-1])
            if last:
                _check(int(last.group(2)), column_number(last.group(1)), f"the used range {attributes['ref']}")
        elif name == "row":
            position["row"] = _row_number(reference) if reference is not None else position["row"] + 1
            position["column"] = 0
            _check(position["row"], 0, f"row {position['row']}")
        elif name == "c":
            if reference is None:
                position["column"] += 1
            else:
                match = CELL.fullmatch(reference)
                if match is None:
                    raise _unreadable(f"cell reference {reference[:32]!r}")
                position["column"] = column_number(match.group(1))
                _check(int(match.group(2)), position["column"], reference)
            _check(position["row"], position["column"], reference or f"column {position['column']}")

    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartElementHandler = start
    while chunk := part.read(CHUNK):
        parser.Parse(chunk, False)
    parser.Parse(b"", True)


def _row_number(reference: str) -> int:
    if not DIGITS.fullmatch(reference):
        raise _unreadable(f"row reference {reference[:32]!r}")
    return int(reference)


def _unreadable(what: str) -> SheetBoundsError:
    return SheetBoundsError(422, "sheet.unreadable", f"the sheet's {what} is not a reference", "工作表行列引用无效")


def _check(row: int, column: int, where: str) -> None:
    if column > MAX_COLUMNS:
        raise SheetBoundsError(422, "sheet.too_wide", f"{where} reaches column {column}; a 采集表 has at most "
                               f"{MAX_COLUMNS} columns", f"{where} 超出 {MAX_COLUMNS} 列，请使用采集表模板")
    if row > MAX_IMPORT_ROWS + 1:  # the header row, then the data rows
        raise SheetBoundsError(413, "import.too_large", f"{where} is past row {MAX_IMPORT_ROWS + 1}; an import "
                               f"takes at most {MAX_IMPORT_ROWS} rows", f"每次最多导入 {MAX_IMPORT_ROWS} 行")
