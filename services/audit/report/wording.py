"""How the monthly report speaks to a supervisor: Beijing time in words, and what a row that is not a
sub-division is called. Pure."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

BEIJING = timezone(timedelta(hours=8))
#: the next level down, by the length of the scope's code: what a record "not yet placed" is missing
NEXT_LEVEL = {0: "省（自治区、直辖市）", 2: "州（市）", 4: "县（市、区）", 6: "乡镇/街道", 9: "社区/村"}


def beijing(moment: datetime | str) -> str:
    """2026-12-02T20:43:03+00:00 → 2026年12月3日 04:43（北京时间）."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    local = (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(BEIJING)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}（北京时间）"


def month_words(month: str) -> str:
    """2026-11 → 2026年11月."""
    year, number = month.split("-")
    return f"{int(year)}年{int(number)}月"


def previous_month(month: str) -> str:
    """2026-01 → 2025-12."""
    year, number = (int(part) for part in month.split("-"))
    return f"{year - (number == 1)}-{(number - 2) % 12 + 1:02d}"


def unplaced(scope: str | None) -> str:
    """What records held at the scope itself (not in any sub-division) are shown as: 尚未落到乡镇/街道."""
    return f"尚未落到{NEXT_LEVEL.get(len(scope or ''), '下级区划')}"


def target_version(report: dict) -> str:
    """Which targets a report ranked against (考核目标版本): the notice's, or a division's configured version."""
    used = report.get("targets_version") or {}
    if not used.get("version"):
        return "目标：通知要求（版本 0）"
    return f"目标：{used.get('division_code')} 设定的第 {used['version']} 版"
