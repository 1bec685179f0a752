"""The monthly report of a month and a division: frozen once the month is closed, live while it runs.

- A closed month (its last Beijing instant plus YBSS_AUDIT_REPORT_FREEZE_GRACE_MINUTES has passed) is read
  from its published document: computed once, the first time it is asked for, then a single read.
- The running month is computed from the quality figures at each request (last month's figures, for its
  corrections, are rechecked at most every RECHECK, so a request costs one quality answer).
- "Last month" is always the previous month *as published* (frozen now if it never was), so the month-on-month
  change is against the numbers supervisors were given; where last month's figures changed since (events that
  reached the archive late), the report lists each change as a correction line (更正), never silently.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable

from pymongo.asynchronous.collection import AsyncCollection

from services.audit.config import audit_settings
from services.audit.report import frozen
from services.audit.report.model import build, corrections, month_bounds
from services.audit.report.wording import previous_month

#: the quality figures of a division as of a time (services.audit.views.quality)
Quality = Callable[[str | None, datetime], Awaitable[dict[str, Any]]]
#: the targets in force for the report's division as of a time, with their version (services.audit.views.baselines)
Targets = Callable[[datetime], Awaitable[dict[str, Any]]]


async def _notice(_: datetime) -> None:
    return None  # the notice's targets (version 0)
#: how stale the running month's corrections may be (a publication always rechecks)
RECHECK = timedelta(minutes=10)


def closed(month: str, now: datetime) -> bool:
    end, _ = month_bounds(month, audit_settings().utc_offset_hours)
    return end + timedelta(minutes=audit_settings().report_freeze_grace_minutes) <= now


async def last_month(quality: Quality, store: AsyncCollection, month: str, scope: str | None, now: datetime,
                     fresh: bool = True, targets: Targets = _notice) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(the previous month's figures as published, the corrections made to them since). ``fresh=False`` (the
    running month) may reuse last month's figures as rechecked up to RECHECK ago: one quality call per request."""
    before = previous_month(month)
    end, earlier_end = month_bounds(before, audit_settings().utc_offset_hours)
    if not closed(before, now):
        return await quality(scope, end), []
    document = await frozen.published(store, before, scope)
    if document is None:  # never asked for: published now, as it stands (its own last month recomputed)
        figures_now = await quality(scope, end)
        report = build(before, scope, figures_now, await quality(scope, earlier_end), configured=await targets(end))
        document = await frozen.publish(store, before, scope, report, figures_now, now)
        return document["figures"], []
    return document["figures"], corrections(before, document["figures"],
                                            await frozen.rechecked(store, before, scope, now, None if fresh else RECHECK,
                                                                   lambda: quality(scope, end)))


async def monthly_report(quality: Quality, store: AsyncCollection, month: str, scope: str | None,
                         now: datetime, targets: Targets = _notice) -> dict[str, Any]:
    """The report; ranked against the targets in force at the month's end (as of now for the running month)."""
    if closed(month, now) and (document := await frozen.published(store, month, scope)) is not None:
        return document["report"]
    end, _ = month_bounds(month, audit_settings().utc_offset_hours)
    current = await quality(scope, min(end, now))
    previous, corrected = await last_month(quality, store, month, scope, now, fresh=closed(month, now),
                                           targets=targets)
    report = build(month, scope, current, previous, corrected, await targets(min(end, now)))
    if closed(month, now):
        return (await frozen.publish(store, month, scope, report, current, now))["report"]
    return report
