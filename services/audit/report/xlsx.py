"""The monthly report as an xlsx workbook: a sheet per entity type with a native (Excel) bar chart."""

from __future__ import annotations

import io
from typing import Any

import xlsxwriter

from services.audit.report.wording import month_words, target_version


def _cell(value: Any) -> Any:
    return "" if value is None else value


def workbook(report: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True})
    title = book.add_format({"bold": True, "font_size": 14})
    summary = book.add_worksheet("汇总")
    summary.write(0, 0, f"{report.get('name') or ''} {month_words(report['month'])}每月通报 "
                        f"({report['division_code'] or '全部'})", title)
    summary.write(1, 0, f"{report.get('as_of_text') or ''}；{report.get('previous_text') or ''}")
    summary.write(2, 0, target_version(report))
    summary.write_row(3, 0, ["指标", "目标"], bold)
    labels = report.get("target_labels", {})
    for index, (metric, target) in enumerate(report["targets"].items(), start=4):
        summary.write_row(index, 0, [labels.get(metric, metric), target])
    for entity, section in report["entities"].items():
        sheet = book.add_worksheet(section["title"])
        columns = section["columns"]
        header = ["排名", "区划", "名称", *[section["labels"][c] for c in columns], "准确率", "达标程度",
                  *[f"{section['labels'][c]} 环比" for c in columns]]
        sheet.write(0, 0, f"{section['title']} {report['month']}", title)
        sheet.write_row(2, 0, header, bold)
        rows = [{**section["total"], "rank": ""}, *section["rows"], *section.get("not_placed", [])]
        for r, row in enumerate(rows, start=3):
            sheet.write_row(r, 0, [_cell(row.get("rank")), row["division_code"], _cell(row.get("name")),
                                   *[_cell(row.get(c)) for c in columns], _cell(row.get("accuracy")),
                                   _cell(row.get("attainment")), *[_cell(row["change"].get(c)) for c in columns]])
        sheet.set_column(1, 2, 14)
        if section["rows"]:
            chart = book.add_chart({"type": "column"})
            first, last = 4, 3 + len(section["rows"])
            attained = 3 + len(columns) + 1  # the 达标程度 column the rows are ranked by
            chart.add_series({"name": "达标程度", "categories": [sheet.name, first, 2, last, 2],
                              "values": [sheet.name, first, attained, last, attained]})
            chart.set_title({"name": f"{section['title']}: 达标程度"})
            chart.set_legend({"none": True})
            sheet.insert_chart(last + 2, 1, chart)
    if report.get("corrections"):
        sheet = book.add_worksheet("更正")
        sheet.write(0, 0, "上月通报发布后补录、更正的数据（已发布的通报不改动）", title)
        sheet.write_row(2, 0, ["月份", "区划", "名称", "指标", "已通报", "更正后", "差额"], bold)
        for r, line in enumerate(report["corrections"], start=3):
            sheet.write_row(r, 0, [line["month"], line["division_code"], _cell(line["name"]), line["label"],
                                   _cell(line["published"]), _cell(line["now"]), line["difference"]])
    book.close()
    return buffer.getvalue()
