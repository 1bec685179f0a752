"""The city's calendar: dates in the registries are Beijing-time calendar days (China keeps +08:00 all year).

入住日期, 检查日期, deadlines of 3 days or 30 days: a day is a day in China, not in UTC, whatever clock a server
keeps. One definition for every context.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")


def china_today() -> date:
    return datetime.now(CHINA).date()


def local_date(moment: datetime) -> date:
    """The city's calendar day of a moment (a naive moment is UTC)."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(CHINA).date()
