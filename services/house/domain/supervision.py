"""What a supervisor asks of rental houses: group rentals (群租) and the month's unchecked rentals. Pure.

Both read the house record as the read model stores it (the fold of contracts/house.py's ``evolve``), and
both take their clock and thresholds as arguments, so a test sets them and a deployment configures them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from services.house.domain.house import current_tenants


@dataclass(frozen=True)
class GroupRentalRule:
    """群租 when a rental holds more than ``max_tenants_per_room`` people per room let, or gives each tenant
    less than ``min_area_per_tenant`` m² of the area let (many cities' rule: 2 per room, 5 m² each)."""

    max_tenants_per_room: float = 2
    min_area_per_tenant: float = 5.0

    def reasons(self, rental: dict[str, Any]) -> list[str]:
        """Why this rental counts as a group rental (empty: it does not)."""
        if rental.get("status") != "active":
            return []
        tenants = len(current_tenants(rental))
        found = []
        rooms = rental.get("rooms_let") or 0
        if rooms and tenants > rooms * self.max_tenants_per_room:
            found.append(f"{tenants} tenants in {rooms} rooms (> {self.max_tenants_per_room:g} per room)")
        area = rental.get("area_let")
        if area and tenants and area / tenants < self.min_area_per_tenant:
            found.append(f"{area / tenants:.1f} m² per tenant (< {self.min_area_per_tenant:g} m²)")
        return found

    def flags(self, house: dict[str, Any]) -> dict[str, list[str]]:
        """rental_id → reasons, for the house's rentals that are group rentals."""
        return {r["rental_id"]: why for r in house.get("rentals", []) if (why := self.reasons(r))}


def month_start(as_of: date) -> date:
    return as_of.replace(day=1)


def let_during_month(rental: dict[str, Any], as_of: date) -> bool:
    """The rental ran at some time between the first of ``as_of``'s month and ``as_of``."""
    first = month_start(as_of).isoformat()
    if rental["start"] > as_of.isoformat():
        return False
    ended = rental.get("ended_on") if rental.get("status") == "ended" else None
    return ended is None or ended >= first


def checked_during_month(house: dict[str, Any], as_of: date) -> bool:
    first, last = month_start(as_of).isoformat(), as_of.isoformat()
    return any(first <= check["checked_on"] <= last for check in house.get("checks", []))


def unchecked_rentals(house: dict[str, Any], as_of: date) -> list[dict[str, Any]]:
    """本月未检查的出租房屋: the house's rentals let this month (up to ``as_of``) when the house has had no daily
    check this month."""
    if checked_during_month(house, as_of):
        return []
    return [r for r in house.get("rentals", []) if let_during_month(r, as_of)]
