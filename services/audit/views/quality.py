"""Quality metrics as of a time (质量指标): read from the day counters the figures projection keeps.

As of a time = the sum of the scope's day counters up to that time's Beijing day: figures are kept per day,
so a time inside a day reads the end of that day (what was recorded by then on that day included). The
monthly report asks for a month's last instant, the default is now; both are day ends. ``refolded`` folds
the archive instead: the reference the tests and the bench compare the counters with, not a request path.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.read_concern import ReadConcern

from contracts import divisions

from services.audit.config import audit_settings
from services.audit.domain.accuracy import overall
from services.audit.domain.baseline import RATE_OF
from services.audit.domain.daybook import WHOLE, at
from services.audit.domain.metrics import (DUPLICATE_METRICS, ENTITY_OF, address_lookup, by_collector, finish,
                                           local_day, owing, sub_division, tally)
from services.audit.projections.figures import COUNTERS, NAME, PENDING, RECORDS, metric_name
from services.audit.views.baselines import baselines_in_force
from services.audit.views.campaigns import campaigns_as_of
from services.audit.views.records import records
from services.kernel.messaging.read_models import ReadModels

NOT_PLACED = {6: "未落到乡镇（街道） not placed in a township", 9: "未落到社区 not placed in a community",
              12: "未落到社区 not placed in a community", 4: "未落到县（市、区） not placed in a county",
              2: "未落到州（市） not placed in a prefecture", 0: "未落到省 not placed in a province"}


@dataclass(frozen=True)
class Figures:
    """The figures projection's live collections (a rebuild swaps them)."""

    counters: AsyncCollection
    records: AsyncCollection
    pending: AsyncCollection

    @classmethod
    def of(cls, reads: ReadModels) -> "Figures":
        return cls(reads.read_model(NAME, COUNTERS), reads.read_model(NAME, RECORDS), reads.read_model(NAME, PENDING))


async def baselines(archive: AsyncCollection, as_of: datetime,
                    division_code: str | None) -> dict[str, dict[str, dict[str, Any]]]:
    """{division: {metric: {value, version, scope, source}}} as of the time, for divisions inside
    ``division_code`` (imported files and single settings, the latest of each: services.audit.domain.baseline)."""
    return await baselines_in_force(archive, as_of, division_code)


def with_rates(values: dict[str, Any], baseline: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """采集率: each counted metric over the baseline in force for it (None without one); ``baselines`` the values
    used, ``baseline_versions`` where each came from (the import's scope and version; version None: set alone)."""
    rates = {rate: (round(values[metric] / baseline[metric]["value"], 4) if metric in baseline else None)
             for metric, rate in RATE_OF.items()}
    return {**values, **rates, "baselines": {metric: figure["value"] for metric, figure in baseline.items()},
            "baseline_versions": {metric: {"scope": figure["scope"], "version": figure["version"]}
                                  for metric, figure in baseline.items()}}


async def counted(counters: AsyncCollection, pending: AsyncCollection, scope: str,
                  as_of: datetime, session: Any = None) -> dict[str, Counter]:
    """{child: summed counters} of a scope up to as_of's day: whole months before it, then its month's days, and
    the changes the compactor has not folded in yet."""
    day = local_day(as_of).isoformat()
    query = {"scope": scope, "$or": [{"month": {"$lt": day[:7]}, "day": None},
                                     {"month": day[:7], "day": {"$lte": day}}]}
    children: dict[str, Counter] = defaultdict(Counter)
    async for document in counters.find(query, {"child": 1, "m": 1}, session=session):
        children[document["child"]].update({metric_name(k): v for k, v in document.get("m", {}).items()})
    async for document in pending.find({"scopes": scope}, {"deltas": 1}, session=session):
        for delta_scope, child, delta_day, pairs in document["deltas"]:
            if delta_scope == scope and delta_day <= day:
                children[child].update(dict(pairs))
    return {child: +counter for child, counter in children.items() if +counter}


def total_of(children: dict[str, Counter]) -> Counter:
    """The scope's figures: the children's sums, but duplicates counted over the whole scope."""
    total: Counter = Counter()
    for child, counter in children.items():
        if child != WHOLE:
            total.update({m: n for m, n in counter.items() if m not in DUPLICATE_METRICS})
    total.update({m: n for m, n in children.get(WHOLE, Counter()).items() if m in DUPLICATE_METRICS})
    return total


async def snapshot(figures: Figures, scope: str, as_of: datetime) -> tuple[dict[str, Counter], dict[str, str | None]]:
    """({child: counters} of the scope as of the time, the names of the community places among them then)."""
    # one snapshot for both reads: a compaction committing between them would move changes out of sight
    async with figures.counters.database.client.start_session() as session:
        async with await session.start_transaction(read_concern=ReadConcern("snapshot")):
            children = await counted(figures.counters, figures.pending, scope, as_of, session)
    communities = [c for c in [*children, scope] if len(c) > 12]
    day = local_day(as_of).isoformat()
    places = {d["code"]: (entry[1].get("name") if (entry := at(d.get("timeline"), day)) else None)
              async for d in figures.records.find({"code": {"$in": communities}}, {"code": 1, "timeline": 1})} \
        if communities else {}  # named as they were then
    return children, places


async def quality_figures(figures: Figures, archive: AsyncCollection, division_code: str | None,
                          as_of: datetime) -> dict[str, Any]:
    """Everything a supervisor is judged on, for the division and each sub-division and collector."""
    scope = division_code or ""
    children, places = await snapshot(figures, scope, as_of)
    return await answer(archive, scope, as_of, total_of(children),
                        {c: counter for c, counter in children.items() if c != WHOLE}, places)


async def answer(archive: AsyncCollection, scope: str, as_of: datetime, total: Counter,
                 children: dict[str, Counter], places: dict[str, str | None]) -> dict[str, Any]:
    """The answer's shape, from the scope's total and its children's (counters or a re-fold alike)."""
    baseline = await baselines(archive, as_of, scope or None)
    campaigns = await campaigns_as_of(archive, as_of, scope or None)
    by_sub = {}
    for code, counter in sorted(children.items()):
        placed = code != scope
        by_sub[code] = {"name": name_of(code, places) if placed else NOT_PLACED.get(len(scope), "未落到下一级"),
                        "placed": placed, **with_rates(finish(counter), baseline.get(code, {})),
                        "accuracy": overall(campaigns, code, exact=not placed or len(scope) >= 9,
                                            stratum=len(scope) >= 9)}
    values = finish(total)
    return {
        "division_code": scope or None, "name": name_of(scope, places), "as_of": as_of.isoformat(),
        **with_rates(values, baseline.get(scope, {})),
        "accuracy": overall(campaigns, scope),
        "by_sub_division": by_sub,
        "by_collector": by_collector(total),
        "notes": notes(values),
    }


async def refolded(archive: AsyncCollection, division_code: str | None, as_of: datetime) -> dict[str, Any]:
    """The same answer from a full re-fold of the archive (the reference; slow at city size)."""
    everything = await records(archive, as_of, division_code, list(ENTITY_OF))
    addresses = await records(archive, as_of, None, ["Place", "Doorplate"]) if division_code else everything
    scope, lookup = division_code or "", address_lookup(addresses)  # an address may lie in another division
    groups: dict[str, list] = defaultdict(list)
    for record in everything:
        groups[sub_division(record, scope, lookup)].append(record)
    places = {r.state.get("code"): r.state.get("name") for r in addresses if r.stream_type == "Place"}
    cycles = audit_settings().cycles  # the deployment's 检查周期, as the incremental figures count them
    # 门牌无房/房内无人 join with every division's records, as the counters do (a resident may be held elsewhere)
    owes = owing([*addresses, *await records(archive, as_of, None, ["House", "Person"])] if division_code
                 else everything)
    children = {code: +tally(rs, as_of, lookup, cycles, owes) for code, rs in groups.items()}
    return await answer(archive, scope, as_of, tally(everything, as_of, lookup, cycles, owes),
                        {code: c for code, c in children.items() if c}, places)


#: the monthly report still calls ``quality(archive, scope, as_of)``: the re-fold until it moves to the counters
quality = refolded


def notes(values: dict[str, Any]) -> list[str]:
    """Say what the numbers cannot show yet, instead of leaving a silent zero."""
    missing = [kind for kind, metric in (("Person", "persons_total"), ("House", "houses_total"),
                                         ("Unit", "units_total")) if not values.get(metric)]
    result = []
    if missing:
        result.append(f"no active {', '.join(missing)} records for this division as of this time: their metrics are 0")
    result.append("figures are kept per Beijing day: a time inside a day reads the end of that day")
    return result


def name_of(code: str, places: dict[str, str | None]) -> str:
    """A division's name (蒙自市, 文澜街道) or a community place's (天马社区); the code when neither is known."""
    division = divisions.get(code) if code and code.isdigit() and len(code) <= 12 else None
    return division.name if division is not None else places.get(code) or code or "全部"
