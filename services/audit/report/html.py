"""The monthly report as a printable HTML page: tables and inline SVG bar charts, no external scripts."""

from __future__ import annotations

from html import escape
from typing import Any

from services.audit.report.wording import beijing, month_words, target_version

STYLE = """body{font-family:"Noto Sans CJK SC","Microsoft YaHei","WenQuanYi Micro Hei",sans-serif;margin:24px;color:#222}
table{border-collapse:collapse;margin:8px 0 16px}th,td{border:1px solid #999;padding:3px 6px;font-size:12px}
th{background:#eee}td.n{text-align:right}td.below{background:#fde2e2}.up{color:#0a0}.down{color:#c00}
@media print{section{page-break-inside:avoid}}"""


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.2%}" if -1 <= value <= 1 else f"{value:.2f}"
    return escape(str(value))


def bar_chart(labels: list[str], values: list[float], title: str, width: int = 640) -> str:
    """A horizontal bar chart as inline SVG (one bar per sub-division)."""
    row, left = 22, 120
    height = row * len(labels) + 30
    top = max([v for v in values if v is not None] or [0]) or 1
    bars = []
    for index, (label, value) in enumerate(zip(labels, values)):
        y = 24 + index * row
        length = 0 if value is None else (width - left - 60) * value / top
        bars.append(f'<text x="{left - 6}" y="{y + 14}" text-anchor="end" font-size="11">{escape(label)}</text>'
                    f'<rect x="{left}" y="{y + 3}" width="{length:.1f}" height="{row - 8}" fill="#3a6ea5"/>'
                    f'<text x="{left + length + 4:.1f}" y="{y + 14}" font-size="11">{_fmt(value)}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
            f'aria-label="{escape(title)}"><text x="0" y="14" font-size="13" font-weight="bold">{escape(title)}</text>'
            + "".join(bars) + "</svg>")


def _below(column: str, value: Any, targets: dict[str, float]) -> str:
    """Mark a rate under its target (未达标) so a printed page shows where to act."""
    return " below" if isinstance(value, float) and column in targets and value < targets[column] else ""


def _change(value: Any) -> str:
    if not isinstance(value, (int, float)) or value == 0:
        return _fmt(value)
    return f'<span class="{"up" if value > 0 else "down"}">{"+" if value > 0 else ""}{_fmt(value)}</span>'


def _rows(section: dict[str, Any], targets: dict[str, float]) -> str:
    columns = section["columns"]
    rows = []
    ranked = [{**section["total"], "rank": "合计"}, *section["rows"], *section["not_placed"]]
    for row in ranked:
        cells = "".join(f"<td class=\"n{_below(c, row.get(c), targets)}\">{_fmt(row.get(c))}<br>"
                        f"{_change(row['change'].get(c))}</td>" for c in columns)
        placed = row.get("rank") is not None
        code = f"<br><small>{escape(row['division_code'])}</small>" if placed else ""
        rows.append(f"<tr><td>{_fmt(row.get('rank')) if placed else ''}</td><td>{escape(str(row.get('name') or ''))}"
                    f"{code}</td><td class=n>{_fmt(row.get('attainment'))}</td>{cells}"
                    f"<td class=\"n{_below('accuracy', row.get('accuracy'), targets)}\">{_fmt(row.get('accuracy'))}</td></tr>")
    return "".join(rows)


def _corrections(report: dict[str, Any]) -> str:
    lines = report.get("corrections") or []
    if not lines:
        return ""
    rows = "".join(f"<tr><td>{escape(line['month'])}</td><td>{escape(str(line['name']))}</td>"
                   f"<td>{escape(line['label'])}</td><td class=n>{_fmt(line['published'])}</td>"
                   f"<td class=n>{_fmt(line['now'])}</td><td class=n>{_change(line['difference'])}</td></tr>"
                   for line in lines)
    return ("<section id=\"corrections\"><h2>更正说明</h2><p>上月通报发布后补录、更正的数据（已发布的通报不改动）：</p>"
            "<table><tr><th>月份</th><th>区划</th><th>指标</th><th>已通报</th><th>更正后</th><th>差额</th></tr>"
            f"{rows}</table></section>")


def page(report: dict[str, Any]) -> str:
    title = f"{report.get('name') or ''} {month_words(report['month'])}每月通报"
    frozen = f"；本通报于 {beijing(report['frozen_at'])} 定稿" if report.get("frozen_at") else ""
    parts = [f"<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{escape(title)}</title>"
             f"<style>{STYLE}</style></head><body><h1>{escape(title)}</h1>",
             f"<p>{escape(report.get('as_of_text') or '')}；{escape(report.get('previous_text') or '')}{escape(frozen)}</p>"]
    labels = report.get("target_labels", {})
    targets = "".join(f"<tr><td>{escape(labels.get(k, k))}</td><td class=n>≥ {v:.0%}</td></tr>"
                      for k, v in report["targets"].items())
    parts.append(f"<section><h2>目标</h2><p>排名按各项比率对目标的达标程度（比率 ÷ 目标，最高 100%，取平均），"
                 f"未达标的比率标红。{escape(target_version(report))}</p>"
                 f"<table><tr><th>指标</th><th>目标</th></tr>{targets}</table></section>")
    for entity, section in report["entities"].items():
        columns = section["columns"]
        header = "".join(f"<th>{escape(section['labels'][c])}</th>" for c in columns)
        chart = bar_chart([str(r.get("name") or r["division_code"]) for r in section["rows"]],
                          [r.get("attainment") for r in section["rows"]], f"{section['title']}: 达标程度")
        parts.append(f"<section id=\"{escape(entity)}\"><h2>{escape(section['title'])}</h2>{chart}<table><tr>"
                     f"<th>排名</th><th>区划</th><th>达标程度</th>{header}<th>准确率</th></tr>"
                     f"{_rows(section, report['targets'])}</table></section>")
    parts.append(_corrections(report))
    notes = "".join(f"<li>{escape(note)}</li>" for note in report.get("notes", []))
    parts.append(f"<section><h2>说明</h2><ul>{notes}</ul></section></body></html>")
    return "".join(parts)
