"""A worklist as a file (导出): ``format=csv`` or ``format=xlsx`` on the list's own route streams the whole list.

Exports are an output path like any answer: every item is masked for the caller by the same policy as the JSON
(services.kernel.base.masking via ``mask_tree``) before it is written. Columns are the items' fields, nested records
flattened with dotted names (``person.name``); a list of values is joined with "; ", a list of records written as
JSON. The header is taken from the first chunk of items; a field first seen later goes, as JSON, into a last
column ``more`` (其他字段), so nothing is dropped.

CSV is streamed as it is read (UTF-8 with a BOM so Excel opens Chinese text right; a cell starting with = + - @
is prefixed with ' so a spreadsheet never runs it as a formula). xlsx is written with XlsxWriter in
``constant_memory`` mode (each row flushed to a temporary file as it is written) and then streamed from that
file in chunks: an xlsx is a zip that is complete only at the end, and memory stays bounded either way.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import tempfile
from contextlib import aclosing
from datetime import date, datetime
from typing import Annotated, Any, AsyncIterator, Callable, Literal

import xlsxwriter
from fastapi import Query
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from services.kernel.base.masking import Viewer, mask_tree
from services.kernel.web.access_trace import asked, returned
from services.kernel.web.masked_responses import viewer_for
from services.kernel.web.paging import EXAMPLE_CURSOR, PAGE_DEFAULT, Worklist

Format = Annotated[Literal["json", "csv", "xlsx"],
                   Query(description="json: one page; csv or xlsx: the whole list as a file (every page, streamed)")]
HEADER_SAMPLE = 200
ROWS_PER_CHUNK = 500
FILE_CHUNK = 1 << 16
XLSX_MAX_ROWS = 1_048_576  # a worksheet's limit: the list goes on in the next sheet
XLSX_MAX_TEXT = 32_767  # a cell's limit
CUT = "…(截断)"
MORE = "more"
MEDIA = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
FILE_RESPONSES = {200: {"description": "one page as JSON (`total`: the whole list; `next_cursor`: pass it as `cursor` "
                                       "for the next page, null on the last); with format=csv or format=xlsx the "
                                       "whole list as a file",
                        "content": {"application/json": {"example": {
                            "total": 2345, "items": [{"person_id": "P-0190f5e28a4b7c3d9e1f", "name": "张三",
                                                      "division_code": "532503001"}],
                            "next_cursor": EXAMPLE_CURSOR}},
                                    MEDIA["csv"].split(";")[0]: {}, MEDIA["xlsx"]: {}}}}


def flatten(item: dict, prefix: str = "") -> dict[str, Any]:
    """A nested item as one row: dotted names, scalars as they are, lists of values joined, records as JSON."""
    row: dict[str, Any] = {}
    for key, value in item.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            row.update(flatten(value, f"{name}."))
        elif isinstance(value, list):
            if all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value):
                row[name] = "; ".join(str(v) for v in value)
            else:
                row[name] = json.dumps(value, ensure_ascii=False, default=str)
        elif isinstance(value, (datetime, date)):
            row[name] = value.isoformat()
        else:
            row[name] = value
    return row


class Columns:
    """The header (from the first items) and each row laid out under it, extra fields in ``more``."""

    def __init__(self, sample: list[dict[str, Any]]) -> None:
        names = dict.fromkeys(name for row in sample for name in row)
        self.names = [*names, MORE]

    def cells(self, row: dict[str, Any]) -> list[Any]:
        extra = {name: value for name, value in row.items() if name not in self.names}
        cells = [row.get(name) for name in self.names[:-1]]
        cells.append(json.dumps(extra, ensure_ascii=False, default=str) if extra else None)
        return cells


async def masked_rows(worklist: Worklist, viewer: Viewer) -> AsyncIterator[dict[str, Any]]:
    async with aclosing(worklist.items()) as items:
        async for item in items:
            yield flatten(mask_tree(item, viewer))


def csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def csv_lines(rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows([[csv_cell(value) for value in row] for row in rows])
    return buffer.getvalue().encode("utf-8")


async def _sampled(rows: AsyncIterator[dict[str, Any]]) -> tuple[list[dict[str, Any]], bool]:
    sample: list[dict[str, Any]] = []
    async for row in rows:
        sample.append(row)
        if len(sample) >= HEADER_SAMPLE:
            return sample, True
    return sample, False


async def csv_body(rows: AsyncIterator[dict[str, Any]], columns: Columns, sample: list[dict[str, Any]],
                   more: bool) -> AsyncIterator[bytes]:
    yield "\ufeff".encode("utf-8") + csv_lines([columns.names] + [columns.cells(row) for row in sample])
    if not more:
        return
    pending: list[list[Any]] = []
    async for row in rows:
        pending.append(columns.cells(row))
        if len(pending) >= ROWS_PER_CHUNK:
            yield csv_lines(pending)
            pending = []
    if pending:
        yield csv_lines(pending)


class Sheets:
    """Rows written to an XlsxWriter workbook, a new worksheet (header again) each XLSX_MAX_ROWS rows."""

    def __init__(self, workbook: xlsxwriter.Workbook, name: str, header: list[str]) -> None:
        self.workbook, self.name, self.header = workbook, name, header
        self.sheet, self.row, self.count = None, XLSX_MAX_ROWS, 0

    def write(self, cells: list[Any]) -> None:
        if self.row >= XLSX_MAX_ROWS:
            self.count += 1
            self.sheet = self.workbook.add_worksheet(self.name if self.count == 1 else f"{self.name}{self.count}")
            self.sheet.write_row(0, 0, self.header)
            self.row = 1
        self.sheet.write_row(self.row, 0, [xlsx_cell(value) for value in cells])
        self.row += 1


def xlsx_cell(value: Any) -> Any:
    """A cell XlsxWriter writes as it is (it would skip, not cut, a string over Excel's 32,767 characters)."""
    if value is None:
        return ""
    if isinstance(value, str) and len(value) > XLSX_MAX_TEXT:
        return value[:XLSX_MAX_TEXT - len(CUT)] + CUT
    return value


async def write_xlsx(path: str, rows: AsyncIterator[dict[str, Any]], columns: Columns, sample: list[dict[str, Any]],
                     more: bool, sheet: str) -> None:
    workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_numbers": False,
                                          "strings_to_formulas": False, "strings_to_urls": False,
                                          "nan_inf_to_errors": True})
    try:
        sheets = Sheets(workbook, sheet, columns.names)
        if not sample:
            sheets.write([])
        for row in sample:
            sheets.write(columns.cells(row))
        if more:
            async for row in rows:
                sheets.write(columns.cells(row))
    finally:
        await asyncio.to_thread(workbook.close)


def _stream_file(path: str) -> AsyncIterator[bytes]:
    async def chunks() -> AsyncIterator[bytes]:
        with open(path, "rb") as handle:
            while chunk := await asyncio.to_thread(handle.read, FILE_CHUNK):
                yield chunk
    return chunks()


async def export(worklist: Worklist, fmt: str, viewer: Viewer, filename: str) -> StreamingResponse:
    """The whole ``worklist`` as ``fmt`` (csv or xlsx) for ``viewer``, as an attachment named ``filename``.<fmt>.

    The first rows are read before the answer starts, so an unreachable database is still a 503, not a cut file."""
    rows = masked_rows(worklist, viewer)
    sample, more = await _sampled(rows)
    columns = Columns(sample)
    headers = {"Content-Disposition": f'attachment; filename="{filename}.{fmt}"'}
    if fmt == "csv":
        return StreamingResponse(csv_body(rows, columns, sample, more), media_type=MEDIA["csv"], headers=headers)
    handle, path = tempfile.mkstemp(prefix="ybss-export-", suffix=".xlsx")
    os.close(handle)
    try:
        await write_xlsx(path, rows, columns, sample, more, filename[:31])
    except BaseException:
        os.unlink(path)
        raise
    return StreamingResponse(_stream_file(path), media_type=MEDIA["xlsx"], headers=headers,
                             background=BackgroundTask(os.unlink, path))


def _named_persons(items: list[dict]) -> list:
    return returned(items, "person_id")


async def answer(worklist: Worklist, fmt: str, cursor: str | None, limit: int, caller, filename: str, *,
                 logged_as: str | None = None, named: Callable[[list[dict]], list] = _named_persons,
                 ) -> dict[str, Any] | StreamingResponse:
    """A list route's answer: one page as JSON (masked by the middleware), or the whole list as a file.

    ``logged_as``: the record type of a list of persons' records, whose every page and export leaves an
    access-log entry (查询留痕: what was asked, how many came back, the persons a page named)."""
    if fmt == "json":
        found = await worklist.page(cursor, limit or PAGE_DEFAULT)
        if logged_as:
            await caller.accessed(logged_as, None, lookup=asked(caller), result_count=len(found["items"]),
                                  records=named(found["items"]))
        return found
    if logged_as:
        await caller.accessed(logged_as, None, lookup=asked(caller), result_count=await worklist.total(), records=[])
    return await export(worklist, fmt, viewer_for(caller), filename)
