"""The house service's replica of the unit registry: a unit named as a house's owner, lessor or security person
(单位产权、单位出租) must be registered and not closed (services.replicas.unit)."""

from __future__ import annotations

from services.replicas.unit import unit_replica

HOUSE_UNITS = "house-units"

units = unit_replica(HOUSE_UNITS)
