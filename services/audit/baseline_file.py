"""A baseline file (采集基数表: 户籍 and census figures per division) read into rows, or refused naming the row.

CSV (UTF-8, with or without BOM, or GB18030 as Excel saves it in China) or xlsx (the first sheet), one header row
naming the columns in English or Chinese: ``division_code``/区划代码, ``metric``/指标, ``value``/基数, and an
optional ``source``/来源 per row. Bounded: MAX_BYTES per file (413 while it streams in), MAX_ROWS rows (413), an
xlsx that unpacks past MAX_UNPACKED_BYTES is refused before it is opened (a zip bomb).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from typing import Any, Iterator

from contracts.audit import BaselineRow
from services.audit.domain.baseline import RATE_OF
from services.kernel.base.errors import DomainRuleViolation

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
COLUMNS = {"division_code": ("division_code", "区划代码", "代码"), "metric": ("metric", "指标"),
           "value": ("value", "基数", "数值"), "source": ("source", "来源")}
DIVISION = re.compile(r"^\d{6,24}$")


class TooManyRows(Exception):
    """More rows than one import takes (413)."""


def _unreadable(error: Exception) -> DomainRuleViolation:
    return DomainRuleViolation("file", "baselines.unreadable", f"not a readable file: {type(error).__name__}",
                               "无法读取的文件")


def _sheet_rows(data: bytes) -> Iterator[list[Any]]:
    """The first sheet's rows of an xlsx; whatever a malformed workbook raises, while opened or read, is a 422."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise DomainRuleViolation("file", "baselines.too_big", "the workbook unpacks past 50 MB",
                                          "工作簿解压后超过 50 MB")
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        for row in book.worksheets[0].iter_rows(values_only=True):
            yield list(row)
    except DomainRuleViolation:
        raise
    except Exception as error:  # noqa: BLE001 - a file from outside: every failure to read it is the file's
        raise _unreadable(error) from None


def _cells(data: bytes) -> Iterator[list[Any]]:
    if data[:2] == b"PK":  # an xlsx is a zip
        yield from _sheet_rows(data)
        return
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise DomainRuleViolation("file", "baselines.unreadable", "neither UTF-8 nor GB18030 text", "文件编码无法识别")
    try:
        yield from csv.reader(io.StringIO(text))
    except csv.Error as error:  # a field past the csv module's limit, a stray quote
        raise _unreadable(error) from None


def _header(row: list[Any]) -> dict[str, int]:
    names = [str(cell or "").strip().lower() for cell in row]
    found = {column: next((i for i, name in enumerate(names) if name in aliases), -1)
             for column, aliases in COLUMNS.items()}
    missing = [column for column in ("division_code", "metric", "value") if found[column] < 0]
    if missing:
        raise DomainRuleViolation("file", "baselines.columns", f"the header row lacks {', '.join(missing)} "
                                  f"(columns: division_code/区划代码, metric/指标, value/基数, source/来源)",
                                  f"表头缺少 {', '.join(missing)} 列")
    return found


def _value(cell: Any) -> int | None:
    if isinstance(cell, bool):
        return None
    if isinstance(cell, int):
        return cell
    if isinstance(cell, float):
        return int(cell) if cell.is_integer() else None
    text = str(cell or "").strip().replace(",", "")
    return int(text) if text.isdigit() else None


def rows_of(data: bytes, scope: str) -> list[BaselineRow]:
    """The file's figures, each inside ``scope``; 422 naming the row (its line in the file) and the column."""
    cells = _cells(data)
    header = _header(next(cells, None) or [])
    rows: list[BaselineRow] = []
    seen: dict[tuple[str, str], int] = {}
    for line, row in enumerate(cells, start=2):
        row = list(row)
        cell = lambda column: row[header[column]] if 0 <= header[column] < len(row) else None  # noqa: E731
        if all(value in (None, "") for value in row):
            continue
        if len(rows) >= MAX_ROWS:
            raise TooManyRows(f"more than {MAX_ROWS} rows")
        division, metric = str(cell("division_code") or "").strip(), str(cell("metric") or "").strip()
        value = _value(cell("value"))
        where = f"rows.{line}"
        if not DIVISION.match(division):
            raise DomainRuleViolation(f"{where}.division_code", "baselines.division_code",
                                      f"line {line}: division_code must be 6 to 24 digits", f"第{line}行：区划代码须为6至24位数字")
        if not division.startswith(scope):
            raise DomainRuleViolation(f"{where}.division_code", "baselines.outside_scope",
                                      f"line {line}: {division} is not inside {scope}", f"第{line}行：{division} 不在 {scope} 内")
        if metric not in RATE_OF:
            raise DomainRuleViolation(f"{where}.metric", "baselines.unknown_metric",
                                      f"line {line}: metric must be one of {sorted(RATE_OF)}",
                                      f"第{line}行：指标须为 {sorted(RATE_OF)} 之一")
        if value is None or not 1 <= value <= 10**9:
            raise DomainRuleViolation(f"{where}.value", "baselines.value", f"line {line}: value must be a whole "
                                      "number from 1 to 1,000,000,000", f"第{line}行：基数须为1至10亿的整数")
        if (division, metric) in seen:
            raise DomainRuleViolation(f"{where}.metric", "baselines.duplicate", f"line {line}: {division} {metric} "
                                      f"was given on line {seen[(division, metric)]} already",
                                      f"第{line}行：{division} 的 {metric} 已在第{seen[(division, metric)]}行给出")
        seen[(division, metric)] = line
        source = str(cell("source") or "").strip()[:200] if header["source"] >= 0 else ""
        rows.append(BaselineRow(division_code=division, metric=metric, value=value, source=source))
    if not rows:
        raise DomainRuleViolation("file", "baselines.empty", "the file has no figures below its header", "文件没有数据行")
    return rows
