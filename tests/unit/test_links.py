"""Links across contexts (issue 16): a command naming a person checks the person replica first.

Reproduced as it was: ``POST /v1/units/{id}/employees`` and ``…/rentals/{r}/tenants`` accepted any ``person_id``
(a made-up one, a cancelled person); owners, lessors, security persons and legal representatives too."""

from __future__ import annotations

from datetime import date

import pytest

from services.house.commands import AddTenant, ChangeOwner, RegisterHouse, StartRental
from services.kernel.base.errors import DomainRuleViolation, Forbidden, NotCaughtUp, NotFound
from services.replicas.links import linkable_person
from services.unit.commands import CorrectUnit, Hire, RegisterUnit
from tests.unit.test_house_application import CTX, ROOM, house_service, ports, unit_service  # noqa: F401


class Replica:
    """The replica's ``persons`` collection as linkable_person reads it (find_one by _id)."""

    def __init__(self, documents: dict[str, dict]) -> None:
        self.documents = documents

    async def find_one(self, query: dict, projection=None):
        document = self.documents.get(query["_id"])
        return {"_id": query["_id"], **document} if document is not None else None


REPLICA = Replica({"P-1": {"status": "active", "division_code": "532503001"},
                   "P-gone": {"status": "cancelled", "division_code": "532503001"},
                   "P-dup": {"status": "merged", "redirect_to": "P-1", "division_code": "532503001"},
                   "P-stub": {"key_persons": {}}})


async def test_the_replica_answers_unknown_cancelled_and_follows_merges():
    assert (await linkable_person(REPLICA, " P-1 ", "person_id")).person_id == "P-1"
    assert (await linkable_person(REPLICA, "P-dup", "person_id")).person_id == "P-1"
    for person_id, rule in (("P-nobody", "person.unknown"), ("P-stub", "person.unknown"),
                            ("P-gone", "person.cancelled")):
        with pytest.raises(DomainRuleViolation) as refused:
            await linkable_person(REPLICA, person_id, "lessor.person_id")
        assert (refused.value.field, refused.value.rule) == ("lessor.person_id", rule)


async def test_a_person_not_in_the_replica_yet_is_waited_for_then_refused_when_the_wait_runs_out():
    replica, waited = Replica({}), []

    async def arrives(person_id: str) -> None:  # the person's first event is applied while the command waits
        waited.append(person_id)
        replica.documents[person_id] = {"status": "active", "division_code": "532502001"}

    assert (await linkable_person(replica, "P-new", "person_id", arrives)).division_code == "532502001"

    async def never(person_id: str) -> None:
        raise NotCaughtUp(f"person-{person_id}", 1, 0)

    with pytest.raises(DomainRuleViolation) as refused:
        await linkable_person(replica, "P-never", "person_id", never)
    assert refused.value.rule == "person.unknown" and waited == ["P-new"]


async def test_hiring_checks_the_person_and_a_person_of_another_county_is_hired(ports):  # noqa: F811
    service = unit_service(ports)
    unit = await service.register(RegisterUnit(name="天马宾馆", industry_code="H61", address_code=ROOM), CTX)
    for person_id, rule in (("P-made-up", "person.unknown"), ("P-dead", "person.cancelled")):
        with pytest.raises(DomainRuleViolation) as refused:
            await service.hire(unit.unit_id, Hire(person_id=person_id, position="前台", hired=date(2026, 1, 1)), CTX)
        assert (refused.value.field, refused.value.rule) == ("person_id", rule)
    hired = await service.hire(unit.unit_id, Hire(person_id="P-kaiyuan", position="前台", hired=date(2026, 1, 1)), CTX)
    merged = await service.hire(unit.unit_id, Hire(person_id="P-merged", position="保安", hired=date(2026, 1, 1)), CTX)
    employees = [e.payload["person_id"] for e in ports[0].log if e.event_type == "EmployeeHired"]
    assert hired.version == 2 and merged.version == 3 and employees == ["P-kaiyuan", "P-a"]


async def test_the_units_jurisdiction_is_checked_before_anything_is_said_about_the_person(ports):  # noqa: F811
    service = unit_service(ports)
    unit = await service.register(RegisterUnit(name="天马宾馆", industry_code="H61", address_code=ROOM), CTX)
    foreign = CTX.__class__(actor=CTX.actor.model_copy(update={"organisation_code": "532502"}), correlation_id="t",
                            jurisdiction=lambda division: (_ for _ in ()).throw(Forbidden(f"{division} outside")))
    with pytest.raises(Forbidden):  # a unit of another county: 403 whether or not the person exists
        await service.hire(unit.unit_id, Hire(person_id="P-made-up", position="前台", hired=date(2026, 1, 1)), foreign)


async def test_every_party_naming_a_person_is_checked(ports):  # noqa: F811
    houses, units = house_service(ports), unit_service(ports)
    with pytest.raises(DomainRuleViolation) as refused:
        await houses.register(RegisterHouse(address_code=ROOM, property_nature="private", use="rented",
                                            owner={"person_id": "P-made-up"}), CTX)
    assert refused.value.field == "owner.person_id"
    house = await houses.register(RegisterHouse(address_code=ROOM, property_nature="private", use="rented",
                                                owner={"person_id": "P-merged"}), CTX)
    with pytest.raises(DomainRuleViolation) as refused:
        await houses.change_owner(house.house_id, ChangeOwner(owner={"person_id": "P-dead"}), CTX)
    assert (refused.value.field, refused.value.rule) == ("owner.person_id", "person.cancelled")
    with pytest.raises(DomainRuleViolation) as refused:
        await houses.start_rental(house.house_id, StartRental(
            lessor={"person_id": "P-owner"}, rooms_let=1, start=date(2026, 10, 1),
            security_person={"person_id": "P-made-up"}), CTX)
    assert refused.value.field == "security_person.person_id"
    rental = await houses.start_rental(house.house_id, StartRental(
        lessor={"person_id": "P-owner"}, rooms_let=1, start=date(2026, 10, 1), security_person={"name": "李四"}), CTX)
    with pytest.raises(DomainRuleViolation) as refused:
        await houses.add_tenant(house.house_id, rental.rental_id,
                                AddTenant(person_id="P-made-up", moved_in=date(2026, 10, 2)), CTX)
    assert (refused.value.field, refused.value.rule) == ("person_id", "person.unknown")
    registered = ports[0].log[0].payload
    assert registered["owner"]["person_id"] == "P-a"  # the merged duplicate's survivor
    unit = await units.register(RegisterUnit(name="天马宾馆", industry_code="H61", address_code=ROOM,
                                             legal_representative={"person_id": "P-1"}), CTX)
    for body in ({"legal_representative": {"person_id": "P-made-up"}}, {"security_person": {"person_id": "P-dead"}}):
        with pytest.raises(DomainRuleViolation) as refused:
            await units.correct(unit.unit_id, CorrectUnit(**body, reason="核实"), CTX)
        assert refused.value.field == f"{next(iter(body))}.person_id"


async def test_an_unknown_unit_or_house_answers_404_before_any_person_is_looked_up(ports):  # noqa: F811
    """Found by fuzzing: a correction of unit "0" naming two persons not in the replica waited for each of them
    (5 s apiece) before the 404; the record is loaded first, and the persons are waited for together."""
    asked = []

    async def persons(person_id: str, field: str):
        asked.append(person_id)
        raise AssertionError("no person should be looked up")

    units, houses = unit_service(ports), house_service(ports)
    units.persons = houses.persons = persons
    with pytest.raises(NotFound):
        await units.correct("U-none", CorrectUnit(legal_representative={"person_id": "P-x"}, reason="核实"), CTX)
    with pytest.raises(NotFound):
        await houses.change_owner("H-none", ChangeOwner(owner={"person_id": "P-x"}), CTX)
    with pytest.raises(NotFound):
        await houses.start_rental("H-none", StartRental(lessor={"person_id": "P-x"}, rooms_let=1,
                                                        start=date(2026, 10, 1), security_person={"name": "李四"}), CTX)
    assert asked == []
