"""考核 (assessment) of a month: per collector and per community, read from the figures' counters, never re-folded.

The counters (services/audit/projections/figures.py) keep per division and day what each record adds under
``assess:<month>:<metric>:<collector>`` (services.audit.domain.assessment), so a month's rows are one read of
the scope's counters as of the month's end (now, for the running month). Accuracy is the campaigns' one rule
(services.audit.domain.accuracy) over the inspections recorded in the month; collection rates divide by the
baselines in force then; targets are the version in force then. Rows are the scope's next level down (the
communities of a township, the townships of a county), records held at the scope itself a row apart, unranked.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from services.audit.config import audit_settings
from services.audit.domain import assessment
from services.audit.domain.accuracy import accuracy_by_collector, overall
from services.audit.domain.daybook import WHOLE
from services.audit.domain.metrics import finish
from services.audit.report.model import month_bounds
from services.audit.views.baselines import baselines_in_force, targets_in_force
from services.audit.views.campaigns import campaigns_as_of
from services.audit.views.quality import NOT_PLACED, Figures, name_of, snapshot, total_of, with_rates

HELD = ("doorplates_total", "persons_total", "houses_total", "units_total")  #: what collection rates divide


def inspected_in(at_end: list[dict[str, Any]], at_start: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The campaigns as at the month's end, keeping only the inspections recorded during the month."""
    before = {state.get("campaign_id"): state.get("inspections", {}) for state in at_start}
    return [{**state, "inspections": {stream: inspection for stream, inspection in state.get("inspections", {}).items()
                                      if stream not in before.get(state.get("campaign_id"), {})}}
            for state in at_end]


async def collectors_of(figures: Figures, campaigns: list[dict[str, Any]]) -> dict[str, str]:
    """{inspected stream: its collector} (the actor of its first event, as the figures keep it)."""
    streams = sorted({stream for state in campaigns for stream in state.get("inspections", {})})
    if not streams:
        return {}
    return {document["_id"]: document.get("collector")
            async for document in figures.records.find({"_id": {"$in": streams}}, {"collector": 1})}


def community_row(code: str, scope: str, counter: Counter, month: str, name: str,
                  baseline: dict[str, dict[str, Any]], campaigns: list[dict[str, Any]]) -> dict[str, Any]:
    placed = code != scope
    monthly: Counter = Counter()
    for metrics in assessment.of_month(counter, month).values():
        monthly.update(metrics)
    rated = with_rates(finish(counter), baseline)
    return {"division_code": code, "name": name, "placed": placed, **assessment.figures(monthly),
            **{held: rated[held] for held in HELD},
            **{rate: rated[rate] for rate in assessment.COMMUNITY_RATES if rate in rated},
            "baselines": rated["baselines"], "baseline_versions": rated["baseline_versions"],
            "accuracy": overall(campaigns, code, exact=not placed or len(scope) >= 9, stratum=len(scope) >= 9)}


def collector_rows(children: dict[str, Counter], month: str, accuracy: dict[str, dict[str, Any]]
                   ) -> list[dict[str, Any]]:
    """A row per collector with anything in the month, and the communities (rows) their work lies in."""
    merged: dict[str, Counter] = {}
    where: dict[str, set[str]] = {}
    for code, counter in children.items():
        for collector, metrics in assessment.of_month(counter, month).items():
            merged.setdefault(collector, Counter()).update(metrics)
            where.setdefault(collector, set()).add(code)
    for collector in accuracy:
        merged.setdefault(collector, Counter())
    none = {"fields": overall([])["fields"], "records": overall([])["records"]}
    return [{"collector_id": collector, **assessment.figures(metrics), "communities": sorted(where.get(collector, ())),
             "accuracy": accuracy.get(collector, none)} for collector, metrics in merged.items()]


async def assessment_of(figures: Figures, archive: AsyncCollection, scope: str, month: str,
                        now: datetime) -> dict[str, Any]:
    """The month's assessment of ``scope``: totals, a ranked row per collector and per community."""
    end, before = month_bounds(month, audit_settings().utc_offset_hours)
    as_of = min(end, now)
    children, places = await snapshot(figures, scope, as_of)
    children = {code: counter for code, counter in children.items() if code != WHOLE}
    baselines = await baselines_in_force(archive, as_of, scope)
    targets = await targets_in_force(archive, as_of, scope or "")
    campaigns = inspected_in(await campaigns_as_of(archive, as_of, scope or None),
                             await campaigns_as_of(archive, before, scope or None))
    collected_by = await collectors_of(figures, campaigns)
    by_collector = accuracy_by_collector(campaigns, collected_by.get, scope)
    values = targets["targets"]

    communities = [assessment.judged(community_row(
        code, scope, counter, month, name_of(code, places) if code != scope else NOT_PLACED.get(len(scope), "未落到下一级"),
        baselines.get(code, {}), campaigns), assessment.COMMUNITY_RATES, values) for code, counter in children.items()]
    placed = assessment.ranked([row for row in communities if row["placed"]], assessment.COMMUNITY_RATES,
                               "division_code")
    apart = [{**row, "rank": None, "ranks": {}} for row in communities if not row["placed"]]
    collectors = assessment.ranked([assessment.judged(row, assessment.COLLECTOR_RATES, values)
                                    for row in collector_rows(children, month, by_collector)],
                                   assessment.COLLECTOR_RATES, "collector_id")
    whole = community_row(scope, "", total_of(children), month, name_of(scope, places), baselines.get(scope, {}),
                          campaigns)
    whole = assessment.judged({**whole, "accuracy": overall(campaigns, scope)}, assessment.COMMUNITY_RATES, values)
    return {"division_code": scope or None, "name": name_of(scope, places), "month": month, "as_of": as_of.isoformat(),
            "targets": {"division_code": targets["division_code"], "version": targets["version"],
                        "source": targets["source"], "values": values},
            "total": {key: value for key, value in whole.items() if key not in ("placed", "division_code", "name")},
            "collectors": collectors, "communities": [*placed, *apart]}
