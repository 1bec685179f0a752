"""以房管人 over in-memory read models: who a police officer sees living in a house and under a door plate,
joined from the house registry and the person replica, without a database."""

from __future__ import annotations

from services.house.views.occupants import address_occupants, house_occupants, houses, persons
from services.kernel.messaging.memory_reads import InMemoryReadModels

PLATE = "532503001500000000000001"
ROOM = PLATE + "0102"


async def seeded() -> InMemoryReadModels:
    reads = InMemoryReadModels()
    await persons(reads).insert_many([
        {"_id": "P1", "name": "张丽", "category": "resident", "status": "active", "division_code": "532503001",
         "address_code": PLATE},
        {"_id": "P2", "name": "李强", "category": "migrant", "status": "active", "division_code": "532503001",
         "address_code": ROOM, "key_persons": {"K1": {"state": "listed"}}},
        {"_id": "P3", "name": "王五", "category": "resident", "status": "cancelled", "division_code": "532503001",
         "address_code": PLATE},
        {"_id": "P4", "name": "赵六", "category": "migrant", "status": "active", "division_code": "532502001",
         "address_code": PLATE + "0201"},
    ])
    await houses(reads).insert_one({
        "_id": "H1", "address_code": PLATE, "address_name": "天马路18号", "division_code": "532503001", "use": "residential",
        "rentals": [{"rental_id": "R1", "status": "active", "lessor": "P1", "start": "2026-01-01",
                     "tenants": [{"person_id": "P2", "moved_in": "2026-02-01", "moved_out": None},
                                 {"person_id": "P9", "moved_in": "2026-03-01", "moved_out": None},
                                 {"person_id": "P1", "moved_in": "2025-01-01", "moved_out": "2025-12-31"}]}]})
    return reads


async def test_a_house_shows_its_active_residents_and_current_tenants_even_one_not_yet_known():
    reads = await seeded()
    house = await houses(reads).find_one({"_id": "H1"})
    answer = await house_occupants(reads, house)
    assert [r["person_id"] for r in answer["residents"]] == ["P1"]  # P3 is cancelled, P2 lives in a room
    assert [(t["person_id"], t["known"], t["key_person"]) for t in answer["tenants"]] == [
        ("P2", True, True), ("P9", False, False)]  # P9's record has not reached the replica yet
    assert answer["key_person_present"] and answer["residents_by_category"] == {"resident": 1}


async def test_an_address_counts_everyone_under_it_inside_the_callers_jurisdiction():
    reads = await seeded()
    answer = await address_occupants(reads, PLATE, {"division_code": {"$regex": "^532503"}})
    assert sorted(r["person_id"] for r in answer["items"]) == ["P1", "P2"]  # P4 lies outside the scope
    assert (answer["total"], answer["next_cursor"], answer["key_person_present"]) == (2, None, True)
    first = await address_occupants(reads, PLATE, {"division_code": {"$regex": "^532503"}}, limit=1)
    rest = await address_occupants(reads, PLATE, {"division_code": {"$regex": "^532503"}}, first["next_cursor"], 1)
    assert [r["person_id"] for r in first["items"] + rest["items"]] == ["P1", "P2"] and rest["next_cursor"] is None
    assert answer["per_address"] == [
        {"address_code": PLATE, "residents": 1, "key_persons": 0, "house_id": "H1", "tenants": 2},
        {"address_code": ROOM, "residents": 1, "key_persons": 1, "house_id": None}]
