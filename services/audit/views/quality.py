"""Quality metrics as of a time, from the archive: records folded, then the pure metrics of domain.metrics."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from contracts import divisions

from services.audit.domain.accuracy import overall
from services.audit.domain.history import state_of
from services.audit.domain.metrics import ENTITY_OF, Record, collectors, communities, metrics, sub_division
from services.audit.views.records import records
from services.audit.views.archive import records_as_of
from services.audit.views.campaigns import campaigns_as_of

RATE_OF = {"persons_total": "persons_collection_rate", "houses_total": "houses_collection_rate",
           "units_total": "units_collection_rate", "doorplates_total": "doorplates_collection_rate"}


async def baselines(archive: AsyncCollection, as_of: datetime, division_code: str | None) -> dict[str, dict[str, int]]:
    """{division: {metric: baseline}} as of the time, for divisions inside ``division_code``."""
    grouped = await records_as_of(archive, as_of, division_code, ["CollectionBaseline"])
    table: dict[str, dict[str, int]] = defaultdict(dict)
    for documents in grouped.values():
        _, state = state_of(documents)
        table[state["division_code"]][state["metric"]] = state["value"]
    return dict(table)


def with_rates(values: dict[str, Any], baseline: dict[str, int]) -> dict[str, Any]:
    """采集率: each counted metric over the supervisor's baseline for it (None without a baseline)."""
    rates = {rate: (round(values[metric] / baseline[metric], 4) if metric in baseline else None)
             for metric, rate in RATE_OF.items()}
    return {**values, **rates, "baselines": baseline}


async def quality(archive: AsyncCollection, division_code: str | None, as_of: datetime) -> dict[str, Any]:
    """Everything a supervisor is judged on, for the division and each sub-division and collector."""
    everything = await records(archive, as_of, division_code, list(ENTITY_OF))
    baseline = await baselines(archive, as_of, division_code)
    campaigns = await campaigns_as_of(archive, as_of, division_code)
    scope = division_code or ""
    groups: dict[str, list[Record]] = defaultdict(list)
    table = communities(everything)
    for record in everything:
        groups[sub_division(record, scope, table)].append(record)
    places = {r.state.get("code"): r.state.get("name") for r in everything if r.stream_type == "Place"}
    by_sub = {code: {"name": name_of(code, places), **with_rates(metrics(rs, as_of, everything), baseline.get(code, {})),
                     "accuracy": overall(campaigns, code if code != "unknown" else "~")}
              for code, rs in sorted(groups.items())}
    return {
        "division_code": division_code, "name": name_of(scope, places), "as_of": as_of.isoformat(),
        **with_rates(metrics(everything, as_of), baseline.get(scope, {})),
        "accuracy": overall(campaigns, scope),
        "by_sub_division": by_sub,
        "by_collector": collectors(everything),
        "notes": notes(everything),
    }


def notes(everything: list[Record]) -> list[str]:
    """Say what the numbers cannot show yet, instead of leaving a silent zero."""
    seen = {record.stream_type for record in everything}
    missing = [kind for kind in ("Person", "House", "Unit") if kind not in seen]
    result = []
    if missing:
        result.append(f"no {', '.join(missing)} records in the archive for this division as of this time: "
                      "their metrics are 0")
    result.append("a room address (户室) counts as in use unless known retired: rooms are not published one by one")
    return result


def name_of(code: str, places: dict[str, str]) -> str:
    """A division's name (蒙自市, 文澜街道) or a community place's (天马社区); the code when neither is known."""
    division = divisions.get(code) if code and code.isdigit() and len(code) <= 12 else None
    return division.name if division is not None else places.get(code) or code or "全部"
