"""Read models of the house service: the house registry (fed by ybss.house.events) and its own replica of
the address registry (fed by ybss.address.events, services.replicas.address).

The registry document of a house *is* the fold of its stream through each event's ``evolve`` (contracts/
house.py, services.kernel.messaging.record_fold): the state the aggregate decides on and the audit shows.
"""

from __future__ import annotations

from pymongo import ASCENDING

from contracts.house import (
    HouseChecked, HouseDemolished, HouseDetailsCorrected, HouseKeyStatusApproved, HouseKeyStatusRejected,
    HouseKeyStatusRequested, HouseKeyStatusSet, HouseOwnerChanged, HouseRegistered, HouseUseChanged, RentalEnded,
    RentalLessorReplaced, RentalSecurityPersonReplaced, RentalStarted, RentalTermsChanged, TenantMovedIn,
    TenantMovedOut,
)
from services.kernel.messaging.projection import Projection
from services.kernel.messaging.record_fold import fold_records
from services.replicas.address import address_replica

HOUSES = "houses"

registry = Projection("house-registry", sources=["house"], collections=[HOUSES])
registry.index(HOUSES, [("address_code", ASCENDING)])
registry.index(HOUSES, [("division_code", ASCENDING)])
registry.index(HOUSES, [("rentals.tenants.person_id", ASCENDING)])
registry.index(HOUSES, [("rentals.status", ASCENDING), ("division_code", ASCENDING)])
registry.index(HOUSES, [("key_house", ASCENDING), ("division_code", ASCENDING)])  # 重点房屋 list
registry.index(HOUSES, [("key_status_requests.state", ASCENDING), ("division_code", ASCENDING)])  # 待审批 list

addresses = address_replica("house-addresses")

fold_records(registry, HOUSES, "house_id", HouseRegistered, HouseDetailsCorrected, HouseUseChanged, HouseOwnerChanged,
             HouseKeyStatusSet, RentalStarted, TenantMovedIn, TenantMovedOut, RentalEnded, HouseChecked, HouseDemolished,
             RentalTermsChanged, RentalLessorReplaced, RentalSecurityPersonReplaced, HouseKeyStatusRequested,
             HouseKeyStatusApproved, HouseKeyStatusRejected)
