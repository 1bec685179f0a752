"""批量登记 of houses and units (an initial load) on the kernel's in-memory fakes: each record of a set is answered
exactly as its single registration answers (the same record, the same refusal with its rule and field, the same
events and claims), a store failure keeps no claim, and the agency handlers' ``create_many`` answer as ``create``."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.uscc import check_character
from services.agency.ingest import Applied, agency_context
from services.house import ingest as house_ingest
from services.house.application import HouseAccepted, HouseService
from services.house.commands import RegisterHouse
from services.kernel.base.errors import DomainRuleViolation
from services.kernel.eventsourcing.claims import PENDING
from services.kernel.eventsourcing.memory import InMemoryClaims, InMemoryEventStore
from services.replicas.address import ReplicaAddress
from services.replicas.links import LinkedPerson
from services.unit import ingest as unit_ingest
from services.unit.application import UnitAccepted, UnitService
from services.unit.commands import RegisterUnit

CTX = agency_context("mz-housing", "532503", "t", "t")
MERGED, SURVIVOR = "532503001500000000000099", "532503001500000000000018"


def room(i: int, division: str = "532503001") -> str:
    return f"{division}62{i:013d}"


async def addresses(code: str, field: str) -> ReplicaAddress:
    """Any room of 532503001 or of 开远 532502001 exists, except number 999; MERGED redirects to SURVIVOR."""
    if code == MERGED:
        return ReplicaAddress(code=SURVIVOR, kind="doorplate", status="in_use", full_name="天马大道18号",
                              division_code="532503001", redirected_from=MERGED)
    if code == SURVIVOR:
        return ReplicaAddress(code=code, kind="doorplate", status="in_use", full_name="天马大道18号",
                              division_code="532503001")
    if code.endswith("999") or code[:9] not in ("532503001", "532502001"):
        raise DomainRuleViolation(field, "address.unknown", f"no standard address with code {code!r}")
    return ReplicaAddress(code=code, kind="room", status="in_use", full_name=f"天马路{code[-3:]}室",
                          division_code=code[:9])


async def persons(person_id: str, field: str) -> LinkedPerson:
    if person_id == "P-dead":
        raise DomainRuleViolation(field, "person.cancelled", f"person {person_id} is cancelled")
    if not person_id.startswith("P-"):
        raise DomainRuleViolation(field, "person.unknown", f"no registered person {person_id!r}")
    return LinkedPerson(person_id, "532503001")


def services():
    store, claims = InMemoryEventStore(), InMemoryClaims()
    today = lambda: date(2026, 11, 20)  # noqa: E731
    return (HouseService(store, claims, addresses=addresses, persons=persons, today=today),
            UnitService(store, claims, addresses=addresses, persons=persons, today=today), store, claims)


def house(i: int, **overrides) -> dict:
    return {"address_code": room(i), "property_nature": "commercial", "use": "self_occupied", "area": 80.0 + i,
            "rooms": 3, "owner": {"person_id": f"P-{i}"}, **overrides}


def houses() -> list[dict]:
    """Valid houses and every refusal a file of houses holds, an address twice, one registered before (i=0)."""
    rows = [house(i) for i in range(1, 25)]
    rows[2] = house(3, address_code=room(999))  # no such address
    rows[4] = house(5, address_code=room(5, "532502001"))  # outside the caller's jurisdiction
    rows[6] = house(7, owner={"person_id": "P-dead"})
    rows[8] = house(9, owner={"person_id": "X-1"})  # no such person
    rows[10] = house(2)  # the address of rows[1], again
    rows[12] = house(13, address_code=MERGED)  # registers at its survivor ...
    rows[14] = house(15, address_code=SURVIVOR)  # ... which this one names directly
    rows.append(house(0))  # registered before the set
    return rows


def uscc(i: int) -> str:
    body = f"91532503{10_000_000 + i:08d}"
    from contracts.uscc import organisation_check

    body = f"{body}{organisation_check(body[-8:]) or '0'}"
    return body + check_character(body)


def unit(i: int, **overrides) -> dict:
    return {"name": f"蒙自第{i}商贸有限公司", "uscc": uscc(i), "industry_code": "F52", "unit_type": "enterprise",
            "address_code": room(i), "legal_representative": {"person_id": f"P-{i}"}, **overrides}


def units() -> list[dict]:
    rows = [unit(i) for i in range(1, 20)]
    rows[2] = unit(3, uscc=uscc(3)[:-1] + ("0" if uscc(3)[-1] != "0" else "1"))  # a wrong check character
    rows[4] = unit(5, address_code=room(5, "532502001"))
    rows[6] = unit(7, legal_representative={"person_id": "P-dead"})
    rows[8] = unit(2, name="另一家")  # the USCC of rows[1], again
    rows[10] = unit(11, uscc=None, unit_type="individual_business")  # no USCC: claims nothing
    rows[12] = unit(13, uscc=None, unit_type="individual_business")
    rows.append(unit(0))  # registered before the set
    return rows


def kind(outcome) -> tuple:
    """What a caller can tell of an answer: accepted (with its version, address and findings), or the refusal's
    class, rule and field."""
    if isinstance(outcome, HouseAccepted):
        return ("accepted", outcome.version, outcome.address_code, outcome.logic_errors)
    if isinstance(outcome, UnitAccepted):
        return ("accepted", outcome.version, outcome.address_code, outcome.warnings)
    return (type(outcome).__name__, getattr(outcome, "rule", None), getattr(outcome, "field", None))


async def one_by_one(register, commands) -> list:
    answers = []
    for command in commands:
        try:
            answers.append(await register(command, CTX))
        except Exception as refusal:  # noqa: BLE001 - compared below
            answers.append(refusal)
    return answers


def payloads(store, id_field: str) -> list[dict]:
    return [{k: v for k, v in e.payload.items() if k != id_field} for e in store.log]


@pytest.mark.parametrize("registry", ["house", "unit"])
async def test_a_set_is_answered_record_by_record_as_the_single_registration_answers(registry):
    model, rows, id_field = ((RegisterHouse, houses(), "house_id") if registry == "house"
                             else (RegisterUnit, units(), "unit_id"))
    answers, stores, claim_sets = [], [], []
    for together in (False, True):
        house_svc, unit_svc, store, claims = services()
        svc = house_svc if registry == "house" else unit_svc
        await svc.register(model.model_validate(rows[-1]), CTX)
        commands = [model.model_validate(row) for row in rows]
        answers.append(await svc.register_many([(c, CTX) for c in commands]) if together
                       else await one_by_one(svc.register, commands))
        stores.append(store)
        claim_sets.append(claims)
    single, many = answers

    assert [kind(o) for o in many] == [kind(o) for o in single]
    rules = {kind(o)[1] for o in many if kind(o)[0] != "accepted"}
    assert {"address.unknown" if registry == "house" else "uscc.check", "person.cancelled",
            f"{registry}.duplicate"} <= rules
    assert sum(kind(o)[0] == "Forbidden" for o in many) == 1
    assert payloads(stores[1], id_field) == payloads(stores[0], id_field)  # the same events, in the same order
    assert set(claim_sets[1].claims) == set(claim_sets[0].claims)
    owners = {owner for owner, _ in claim_sets[1].claims.values()}
    assert not any(owner.startswith(PENDING) for owner in owners)
    ids = {getattr(o, id_field) for o in many if kind(o)[0] == "accepted"}
    assert ids <= owners | {getattr(o, id_field) for o in many if getattr(o, "warnings", None)}
    duplicate = next(o for o in many if getattr(o, "rule", None) == f"{registry}.duplicate")
    assert any(i in duplicate.message for i in ids | owners)  # names the record holding the key


async def test_a_store_failure_fails_the_set_and_keeps_no_claim():
    house_svc, _, store, claims = services()

    async def broken(appends):
        raise ConnectionError("the database went away")

    store.append_many = broken
    with pytest.raises(ConnectionError):
        await house_svc.register_many([(RegisterHouse.model_validate(house(i)), CTX) for i in range(1, 5)])
    assert claims.claims == {} and store.log == []


def applied(outcome) -> tuple:
    if isinstance(outcome, Applied):
        return ("applied", outcome.version)
    return (type(outcome).__name__, getattr(outcome, "rule", None))


@pytest.mark.parametrize("registry", ["house", "unit"])
async def test_the_agency_handlers_create_many_answers_as_create(registry):
    handler = (house_ingest if registry == "house" else unit_ingest).HANDLERS[0]
    rows = houses() if registry == "house" else units()
    rows.append({**rows[0], "address_code": room(50), "use": "nonsense", "unit_type": "nonsense"})  # not a command
    found = []
    for together in (False, True):
        house_svc, unit_svc, _, _ = services()
        svc = house_svc if registry == "house" else unit_svc
        if together:
            found.append(await handler.create_many(svc, [(row, CTX) for row in rows]))
            continue
        answers = []
        for row in rows:
            try:
                answers.append(await handler.create(svc, None, row, CTX))
            except Exception as refusal:  # noqa: BLE001 - compared below
                answers.append(refusal)
        found.append(answers)
    assert [applied(o) for o in found[1]] == [applied(o) for o in found[0]]
    assert applied(found[1][-1])[0] == "ValidationError"
