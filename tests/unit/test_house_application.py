"""The house and unit application services on the kernel's in-memory ports: claims, addresses, jurisdiction."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.envelope import Actor
from services.house.application import HouseService, address_claim
from services.house.commands import AddTenant, RegisterHouse, StartRental
from services.kernel.eventsourcing.aggregate import CommandContext
from services.kernel.base.errors import DomainRuleViolation, Forbidden, StateConflict
from services.kernel.eventsourcing.memory import InMemoryClaims, InMemoryEventStore
from services.replicas.address import ReplicaAddress
from services.replicas.links import LinkedPerson
from services.unit.application import UnitService, uscc_claim
from services.unit.commands import Hire, RegisterUnit

ROOM = "532503001620000000000017"
MERGED = "532503001500000000000099"
SURVIVOR = "532503001500000000000018"
ELSEWHERE = "532502001500000000000001"
ADDRESSES = {
    ROOM: ReplicaAddress(code=ROOM, kind="room", status="in_use", full_name="天马路18号3栋2单元1203室",
                         division_code="532503001"),
    MERGED: ReplicaAddress(code=SURVIVOR, kind="doorplate", status="in_use", full_name="天马大道18号",
                           division_code="532503001", redirected_from=MERGED),
    SURVIVOR: ReplicaAddress(code=SURVIVOR, kind="doorplate", status="in_use", full_name="天马大道18号",
                             division_code="532503001"),
    ELSEWHERE: ReplicaAddress(code=ELSEWHERE, kind="doorplate", status="in_use", full_name="别处1号",
                              division_code="532502001"),
}


async def addresses(code: str, field: str) -> ReplicaAddress:
    if code not in ADDRESSES:
        raise DomainRuleViolation(field, "address.unknown", f"no standard address with code {code!r}")
    return ADDRESSES[code]


PERSONS = {"P-owner": LinkedPerson("P-owner", "532503001"), "P-a": LinkedPerson("P-a", "532503001"),
           "P-1": LinkedPerson("P-1", "532503001"), "P-kaiyuan": LinkedPerson("P-kaiyuan", "532502001"),
           "P-merged": LinkedPerson("P-a", "532503001")}
CANCELLED = {"P-dead"}


async def persons(person_id: str, field: str) -> LinkedPerson:
    """The person replica's answer (services.replicas.links.linkable_person) as a dict."""
    if person_id in CANCELLED:
        raise DomainRuleViolation(field, "person.cancelled", f"person {person_id} is cancelled")
    if person_id not in PERSONS:
        raise DomainRuleViolation(field, "person.unknown", f"no registered person {person_id!r}")
    return PERSONS[person_id]


def within_532503(division_code: str | None) -> None:
    if not (division_code or "").startswith("532503"):
        raise Forbidden(f"{division_code} is outside 532503")


CTX = CommandContext(actor=Actor(id="PC-1", role="police", organisation_code="532503"), correlation_id="t",
                     jurisdiction=within_532503)


@pytest.fixture
def ports():
    return InMemoryEventStore(), InMemoryClaims()


def house_service(ports) -> HouseService:
    return HouseService(*ports, addresses=addresses, persons=persons, today=lambda: date(2026, 11, 20))


def unit_service(ports) -> UnitService:
    return UnitService(*ports, addresses=addresses, persons=persons, today=lambda: date(2026, 11, 20))


async def test_one_house_per_address_and_the_second_names_the_first(ports):
    service = house_service(ports)
    first = await service.register(RegisterHouse(address_code=ROOM, property_nature="commercial", use="rented"), CTX)
    assert (first.version, first.address_code, first.stream_id) == (1, ROOM, f"house-{first.house_id}")
    with pytest.raises(StateConflict) as refused:
        await service.register(RegisterHouse(address_code=ROOM, property_nature="private", use="vacant"), CTX)
    assert refused.value.rule == "house.duplicate" and first.house_id in refused.value.message
    assert await ports[1].owner_of(address_claim(ROOM)) == first.house_id


async def test_a_merged_address_registers_at_its_survivor_and_counts_as_it(ports):
    service = house_service(ports)
    accepted = await service.register(RegisterHouse(address_code=MERGED, property_nature="private", use="rented"), CTX)
    assert accepted.address_code == SURVIVOR
    with pytest.raises(StateConflict):
        await service.register(RegisterHouse(address_code=SURVIVOR, property_nature="private", use="rented"), CTX)


async def test_unknown_address_and_foreign_jurisdiction_are_refused_without_a_claim(ports):
    service = house_service(ports)
    with pytest.raises(DomainRuleViolation) as refused:
        await service.register(RegisterHouse(address_code="532503001620000000000000", property_nature="private",
                                             use="rented"), CTX)
    assert refused.value.field == "address_code"
    with pytest.raises(Forbidden):
        await service.register(RegisterHouse(address_code=ELSEWHERE, property_nature="private", use="rented"), CTX)
    assert ports[1].claims == {}


async def test_rental_and_tenant_through_the_service_report_logic_errors(ports):
    service = house_service(ports)
    house = await service.register(RegisterHouse(address_code=ROOM, property_nature="private", use="self_occupied",
                                                 rooms=3), CTX)
    rental = await service.start_rental(house.house_id, StartRental(
        lessor={"person_id": "P-owner"}, rooms_let=1, start=date(2026, 10, 1),
        security_person={"name": "李四"}), CTX)
    assert rental.rental_id and rental.version == 2 and rental.logic_errors[0]["type"] == "house.let_not_rented"
    tenant = await service.add_tenant(house.house_id, rental.rental_id,
                                      AddTenant(person_id="P-a", moved_in=date(2026, 10, 2), expected_version=2), CTX)
    assert tenant.version == 3 and tenant.logic_errors[0]["type"] == "house.tenant_not_rented"
    assert ports[0].event_types(house.stream_id) == ["HouseRegistered", "RentalStarted", "TenantMovedIn"]


async def test_one_unit_per_uscc_and_units_without_one_are_flagged(ports):
    service = unit_service(ports)
    body = dict(name="天马宾馆", uscc="91110108551385082Q", industry_code="H61", address_code=ROOM)
    first = await service.register(RegisterUnit(**body), CTX)
    assert first.warnings == [] and await ports[1].owner_of(uscc_claim("91110108551385082Q")) == first.unit_id
    with pytest.raises(StateConflict) as refused:
        await service.register(RegisterUnit(**{**body, "uscc": "9111 0108 5513 8508 2q", "name": "另一家"}), CTX)
    assert refused.value.rule == "unit.duplicate" and first.unit_id in refused.value.message
    bare = [await service.register(RegisterUnit(**{**body, "uscc": None, "unit_type": "individual_business"}), CTX)
            for _ in range(2)]
    assert bare[0].unit_id != bare[1].unit_id and bare[0].warnings[0].startswith("unit.no_uscc")


async def test_a_refused_uscc_keeps_no_claim_and_employees_are_hired(ports):
    service = unit_service(ports)
    with pytest.raises(DomainRuleViolation) as refused:
        await service.register(RegisterUnit(name="x", uscc="91110108551385082A", industry_code="H61",
                                            address_code=ROOM), CTX)
    assert (refused.value.field, refused.value.rule) == ("uscc", "uscc.check") and ports[1].claims == {}
    unit = await service.register(RegisterUnit(name="x", industry_code="I64", address_code=ROOM), CTX)
    hired = await service.hire(unit.unit_id, Hire(person_id="P-1", position="运维", hired=date(2026, 1, 1)), CTX)
    assert hired.version == 2


async def test_a_unit_records_its_uscc_later_and_the_claim_moves(ports):
    from contracts.uscc import check_character
    from services.unit.commands import RecordUscc

    service = unit_service(ports)
    bare = await service.register(RegisterUnit(name="摊点", industry_code="F52", address_code=ROOM,
                                               unit_type="individual_business"), CTX)
    code = "92532503MA6K00017" + check_character("92532503MA6K00017")
    recorded = await service.record_uscc(bare.unit_id, RecordUscc(uscc=code.lower()), CTX)
    assert recorded.version == 2 and await ports[1].owner_of(uscc_claim(code)) == bare.unit_id
    other = await service.register(RegisterUnit(name="另一家", industry_code="F52", address_code=ROOM), CTX)
    with pytest.raises(StateConflict) as refused:
        await service.record_uscc(other.unit_id, RecordUscc(uscc=code), CTX)
    assert bare.unit_id in refused.value.message
    corrected = "92532503MA6K00025" + check_character("92532503MA6K00025")
    await service.record_uscc(bare.unit_id, RecordUscc(uscc=corrected, reason="录入错误"), CTX)
    assert await ports[1].owner_of(uscc_claim(code)) is None, "the old code is free again"
    assert await ports[1].owner_of(uscc_claim(corrected)) == bare.unit_id
