"""What a special-trades officer asks of units: inspections due (检查周期) and overdue rectifications. Pure.

Both read the unit record as the read model stores it (the fold of contracts/unit.py's ``evolve``) and take
``as_of`` and the per-trade cycles as arguments, so a test sets the clock and a deployment the cycles.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Mapping

from contracts import special_trades


def inspection_cycles(overrides: Mapping[str, int] | None = None) -> dict[str, int]:
    """Days between inspections per trade: the shipped defaults with the deployment's overrides."""
    cycles = {code: trade.inspection_cycle_days for code, trade in special_trades.trades().items()}
    cycles.update({code: int(days) for code, days in (overrides or {}).items() if code in cycles})
    return cycles


def inspections_due(unit: dict[str, Any], cycles: Mapping[str, int], as_of: date) -> list[dict[str, Any]]:
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


def overdue_rectifications(unit: dict[str, Any], as_of: date) -> list[dict[str, Any]]:
    """整改逾期: inspections whose rectification deadline passed before ``as_of`` without a confirmed follow-up."""
    late = []
    for inspection in unit.get("inspections", []):
        deadline = inspection.get("rectification_deadline")
        if inspection.get("rectification_required") and not inspection.get("rectified") and deadline \
                and date.fromisoformat(deadline) < as_of:
            late.append({"inspection_id": inspection["inspection_id"], "inspected_on": inspection["inspected_on"],
                         "rectification_deadline": deadline,
                         "days_overdue": (as_of - date.fromisoformat(deadline)).days})
    return late


def expired_licences(unit: dict[str, Any], as_of: date) -> list[dict[str, Any]]:
    """证照过期: the unit's licences (its own and its special trades') whose validity ended before ``as_of``."""
    licences = [*unit.get("licences", []), *(t["licence"] for t in unit.get("special_trades", []) if t.get("licence"))]
    return [licence for licence in licences
            if licence.get("valid_until") and date.fromisoformat(licence["valid_until"]) < as_of]
