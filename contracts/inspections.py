"""When a special-trade unit is overdue for inspection (超期未检查): one rule for every place that counts it.

The unit registry's worklist (``GET /v1/units/inspections-due``) and the audit's monthly report both ask
this; both hold the unit as the fold of contracts/unit.py's ``evolve`` (the read model's document or the
archive's folded state), so they agree on the same data. Pure: ``as_of`` and the cycles are arguments.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Mapping

from contracts import special_trades


def inspection_cycles(overrides: Mapping[str, int] | None = None) -> dict[str, int]:
    """Days between inspections per trade (检查周期): the shipped defaults with the deployment's overrides
    (``YBSS_UNIT_INSPECTION_CYCLE_DAYS``)."""
    cycles = {code: trade.inspection_cycle_days for code, trade in special_trades.trades().items()}
    cycles.update({code: int(days) for code, days in (overrides or {}).items() if code in cycles})
    return cycles


def inspections_due(unit: Mapping[str, Any], cycles: Mapping[str, int], as_of: date) -> list[dict[str, Any]]:
    """The unit's special trades whose next inspection fell due before ``as_of`` (超期未检查).

    Each trade has its own cycle, running from the unit's last inspection on or after the trade was taken up,
    else from the day it was. Open units only: a suspended or closed unit is not inspected on a cycle.
    """
    if unit.get("status", "open") != "open":
        return []
    overdue = []
    for trade in unit.get("special_trades", []):
        since = trade["since"]
        inspected = [i["inspected_on"] for i in unit.get("inspections", []) if i["inspected_on"] >= since]
        last = max(inspected, default=None)
        due = date.fromisoformat(last or since) + timedelta(days=cycles.get(trade["trade"], 0))
        if due < as_of:
            overdue.append({"trade": trade["trade"], "last_inspected_on": last, "due_on": due.isoformat(),
                            "days_overdue": (as_of - due).days})
    return overdue


def earliest_due(unit: Mapping[str, Any], cycles: Mapping[str, int]) -> date | None:
    """The first day after which the unit is overdue (None: not on a cycle), for figures kept day by day: the
    unit is overdue on ``as_of`` exactly when ``earliest_due(unit) < as_of`` (the same as ``inspections_due``)."""
    if unit.get("status", "open") != "open" or not unit.get("special_trades"):
        return None
    far = date.max - timedelta(days=1)
    due = [date.fromisoformat(row["due_on"]) for row in inspections_due(unit, cycles, far)]
    return min(due, default=None)


def overdue_for_inspection(unit: Mapping[str, Any], cycles: Mapping[str, int], as_of: date) -> bool:
    """The unit counts once in 逾期未检查 when any of its trades is overdue (the worklist lists it per trade)."""
    return bool(inspections_due(unit, cycles, as_of))
