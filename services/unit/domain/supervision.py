"""What a special-trades officer asks of units: inspections due (检查周期) and overdue rectifications. Pure.

Both read the unit record as the read model stores it (the fold of contracts/unit.py's ``evolve``) and take
``as_of`` and the per-trade cycles as arguments, so a test sets the clock and a deployment the cycles.
"""

from __future__ import annotations

from datetime import date
from typing import Any

# the overdue rule is shared with the audit's monthly report: one rule, one place (contracts.inspections)
from contracts.inspections import inspection_cycles, inspections_due  # noqa: F401 - re-exported for this context


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
