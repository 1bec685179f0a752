"""Read models of the unit service: the unit registry (fed by ybss.unit.events) and its own replica of the
address registry (fed by ybss.address.events, services.replicas.address).

The registry document of a unit *is* the fold of its stream through each event's ``evolve`` (contracts/
unit.py, services.kernel.messaging.record_fold): the state the aggregate decides on and the audit shows.
"""

from __future__ import annotations

from pymongo import ASCENDING

from contracts.unit import (
    EmployeeHired, EmployeeLeft, KeyLocationListed, KeyLocationListingRejected, KeyLocationListingRequested,
    KeyLocationReleased, KeyLocationReleaseRejected, KeyLocationReleaseRequested, KeyUnitListed,
    KeyUnitListingRejected, KeyUnitListingRequested, KeyUnitReleased, KeyUnitReleaseRejected, KeyUnitReleaseRequested,
    LegalRepresentativeChanged, LicenceAdded,
    RectificationFollowedUp, SpecialTradeAdded, SpecialTradeRemoved, UnitClosed, UnitDetailsCorrected, UnitInspected,
    UnitRegistered, UnitRelocated, UnitRenamed, UnitReopened, UnitSuspended, UsccRecorded,
)
from services.kernel.messaging.projection import Projection
from services.kernel.messaging.record_fold import fold_records
from services.replicas.address import address_replica

UNITS = "units"

registry = Projection("unit-registry", sources=["unit"], collections=[UNITS])
registry.index(UNITS, [("uscc", ASCENDING)])
registry.index(UNITS, [("address_code", ASCENDING)])
registry.index(UNITS, [("division_code", ASCENDING)])
registry.index(UNITS, [("employees.person_id", ASCENDING)])
registry.index(UNITS, [("special_trades.trade", ASCENDING), ("status", ASCENDING)])
registry.index(UNITS, [("inspections.rectification_deadline", ASCENDING)])
registry.index(UNITS, [("key_unit.state", ASCENDING)])  # 重点单位 lists
registry.index(UNITS, [("key_locations.state", ASCENDING)])  # 重点部位 lists

addresses = address_replica("unit-addresses")

fold_records(registry, UNITS, "unit_id", UnitRegistered, UnitDetailsCorrected, UsccRecorded, UnitSuspended, UnitClosed,
             UnitReopened, LicenceAdded, SpecialTradeAdded, SpecialTradeRemoved, EmployeeHired, EmployeeLeft,
             UnitInspected, RectificationFollowedUp, UnitRelocated, UnitRenamed, LegalRepresentativeChanged,
             KeyUnitListingRequested, KeyUnitListed, KeyUnitListingRejected, KeyLocationListingRequested,
             KeyLocationListed, KeyLocationListingRejected, KeyUnitReleaseRequested, KeyUnitReleased,
             KeyUnitReleaseRejected, KeyLocationReleaseRequested, KeyLocationReleased, KeyLocationReleaseRejected)
