"""The address domain and application service on the kernel's in-memory fakes: no stack, milliseconds.

Aggregate rules (approve/reject, rename, renumber, retire, merge idempotence, building generation) and the
service-layer rules that span streams (claims: a refused command keeps none, a retired road frees its name,
jurisdiction on every loaded record).
"""

from __future__ import annotations

import pytest

from contracts.envelope import Actor
from services.address.application import AddressService
from services.address.commands import (
    GenerateBuilding, MergeDoorplate, Reject, RegisterDoorplate, RegisterPlace, RenamePlace, Renumber,
    RetireDoorplate, RetirePlace, Review,
)
from services.address.config import AddressSettings
from services.kernel.eventsourcing.aggregate import CommandContext
from services.kernel.web.authz import Caller, Scope
from services.kernel.base.errors import DomainRuleViolation, Forbidden, NotFound, StateConflict
from services.kernel.eventsourcing.memory import InMemoryClaims, InMemoryEventStore

TOWNSHIP = "532503001"  # 文澜街道, 蒙自市
POLICE = Actor(id="PC-1", role="police", organisation_code="532503")


def context(actor: Actor = POLICE) -> CommandContext:
    """The command context a route builds: the caller's jurisdiction check travels with it."""
    caller = Caller(actor=actor, context=None, scope=Scope.of(actor), action="test", route="/test")
    caller.context = CommandContext(actor=actor, correlation_id="c-1", jurisdiction=caller.require_within)
    return caller.context


@pytest.fixture
def svc() -> AddressService:
    return AddressService(InMemoryEventStore(), InMemoryClaims(), AddressSettings(approval_level="none"))


@pytest.fixture
def strict() -> AddressService:
    return AddressService(InMemoryEventStore(), InMemoryClaims(), AddressSettings(approval_level="police_station"))


async def plate(svc: AddressService, road: str = "天马路", number: str = "18"):
    return await svc.register_doorplate(RegisterDoorplate(division_code=TOWNSHIP, road_name=road, number=number),
                                        context())


def types(svc: AddressService, stream_id: str) -> list[str]:
    return svc.store.event_types(stream_id)


async def test_registering_by_road_name_registers_the_road_once_and_the_plate(svc):
    first = await plate(svc, number="18")
    second = await plate(svc, number="20")
    roads = [stream for stream in svc.store.streams if stream.startswith("place-")]
    assert len(roads) == 1, "the road is registered on first use only"
    assert types(svc, first.stream_id) == ["DoorplateRegistered"] and first.version == 1
    stored = (await svc.store.read_stream(first.stream_id))[0]
    assert stored.division_code == TOWNSHIP, "the envelope carries the owning division"
    assert second.code != first.code


async def test_a_second_plate_with_the_same_number_is_refused_naming_the_first(svc):
    first = await plate(svc)
    with pytest.raises(StateConflict) as conflict:
        await plate(svc, number="十八号")
    assert conflict.value.rule == "doorplate.duplicate" and first.code in conflict.value.message
    legacy = await svc.register_doorplate(RegisterDoorplate(division_code=TOWNSHIP, road_name="天马路", number="18",
                                                            allow_duplicate=True), context())
    assert legacy.code != first.code, "a legacy duplicate gets its own code"


async def test_a_refused_renumber_keeps_no_claim_on_the_new_number(svc):
    accepted = await plate(svc, number="18")
    await svc.retire_doorplate(accepted.code, RetireDoorplate(reason="拆迁"), context())
    with pytest.raises(StateConflict) as refused:
        await svc.renumber(accepted.code, Renumber(number="22"), context())
    assert refused.value.rule == "doorplate.retired"
    again = await plate(svc, number="22")
    assert again.version == 1, "number 22 was never kept by the refused renumber"


async def test_a_retired_plate_frees_its_number_and_a_renumber_frees_the_old_one(svc):
    accepted = await plate(svc, number="18")
    renumbered = await svc.renumber(accepted.code, Renumber(number="20", reason="门牌整顿"), context())
    assert renumbered.version == 2
    assert (await plate(svc, number="18")).version == 1, "18 is free again after the renumber"
    with pytest.raises(StateConflict):
        await plate(svc, number="20")
    await svc.retire_doorplate(accepted.code, RetireDoorplate(reason="拆迁"), context())
    assert (await plate(svc, number="20")).version == 1, "a retired plate's number can be registered again"


async def test_a_retired_road_frees_its_name(svc):
    road = await svc.register_place(RegisterPlace(element_type=41, name="银河路", parent_code=TOWNSHIP), context())
    with pytest.raises(StateConflict):
        await svc.register_place(RegisterPlace(element_type=41, name="银河路", parent_code=TOWNSHIP), context())
    await svc.retire_place(road.code, RetirePlace(reason="道路拆除"), context())
    again = await svc.register_place(RegisterPlace(element_type=41, name="银河路", parent_code=TOWNSHIP), context())
    assert again.version == 1 and again.code != road.code, "a new road of the old name gets its own code"


async def test_rename_moves_the_name_claim_and_a_refused_rename_keeps_none(svc):
    road = await svc.register_place(RegisterPlace(element_type=41, name="旧街", parent_code=TOWNSHIP), context())
    await svc.rename_place(road.code, RenamePlace(new_name="新街", reason="更名"), context())
    assert (await svc.register_place(RegisterPlace(element_type=41, name="旧街", parent_code=TOWNSHIP), context())).version == 1
    with pytest.raises(DomainRuleViolation):
        await svc.rename_place(road.code, RenamePlace(new_name="新街"), context())  # unchanged name: refused
    await svc.retire_place(road.code, RetirePlace(reason="拆除"), context())
    with pytest.raises(StateConflict):
        await svc.rename_place(road.code, RenamePlace(new_name="另一条街"), context())
    assert await svc.claims.owner_of(f"place:{TOWNSHIP}:41:另一条街") is None, "the refused rename keeps no claim"


async def test_approval_flow_and_who_may_decide(strict):
    accepted = await plate(strict)
    collector = Actor(id="GW-1", role="collector", organisation_code="532503")
    with pytest.raises(Forbidden):
        await strict.review(accepted.code, Review(remark="ok"), context(collector))
    with pytest.raises(DomainRuleViolation):
        await strict.review(accepted.code, Reject(reason="  "), context())
    approved = await strict.review(accepted.code, Review(remark="实地核实无误"), context())
    assert types(strict, approved.stream_id) == ["DoorplateRegistered", "DoorplateApproved"]
    with pytest.raises(StateConflict) as twice:
        await strict.review(accepted.code, Reject(reason="门牌号与实地不符"), context())
    assert twice.value.rule == "approval.not_pending"


async def test_an_agencys_door_plate_application_is_reviewed_even_where_plates_need_no_approval(svc):
    """民政 门牌申请 (issue 19): with approval off for collectors' plates, an agency's application still waits for a
    police station's review; a collector's plate is approved at once."""
    own = await plate(svc, number="18")
    applied = await svc.register_doorplate(RegisterDoorplate(division_code=TOWNSHIP, road_name="天马路", number="20",
                                                             source="agency"), context())
    states = {event.payload["code"]: event.payload["approval_state"]
              for stream in (own.stream_id, applied.stream_id) for event in await svc.store.read_stream(stream)}
    assert (states[own.code], states[applied.code]) == ("approved", "pending")
    collector = Actor(id="GW-1", role="collector", organisation_code="532503")
    with pytest.raises(Forbidden):
        await svc.review(applied.code, Review(remark="ok"), context(collector))
    approved = await svc.review(applied.code, Review(remark="实地核实无误"), context())
    assert types(svc, approved.stream_id) == ["DoorplateRegistered", "DoorplateApproved"]
    assert (await svc.store.read_stream(applied.stream_id))[-1].payload["level"] == "police_station"


async def test_merge_is_idempotent_and_refuses_itself(svc):
    survivor = await plate(svc, number="18")
    duplicate = await svc.register_doorplate(RegisterDoorplate(division_code=TOWNSHIP, road_name="天马路", number="18",
                                                               allow_duplicate=True), context())
    with pytest.raises(DomainRuleViolation) as itself:
        await svc.merge(survivor.code, MergeDoorplate(survivor_code=survivor.code), context())
    assert itself.value.field == "survivor_code" and itself.value.rule == "merge.self"
    await svc.merge(duplicate.code, MergeDoorplate(survivor_code=survivor.code), context())
    await svc.merge(duplicate.code, MergeDoorplate(survivor_code=survivor.code), context())  # retried: nothing new
    assert types(svc, duplicate.stream_id) == ["DoorplateRegistered", "DoorplateMergedInto"]
    assert types(svc, survivor.stream_id) == ["DoorplateRegistered", "DuplicateDoorplateAbsorbed"]


async def test_generating_a_building_twice_is_refused_naming_the_building(svc):
    accepted = await plate(svc)
    _, rooms = await svc.generate_building(accepted.code, GenerateBuilding(building="3栋", units=2, floors=6,
                                                                          rooms_per_floor=2), context())
    assert rooms == 2 * 6 * 2
    with pytest.raises(StateConflict) as twice:
        await svc.generate_building(accepted.code, GenerateBuilding(building="3栋", units=1, floors=1,
                                                                    rooms_per_floor=1), context())
    assert twice.value.rule == "building.exists" and "3栋" in twice.value.message
    assert types(svc, accepted.stream_id).count("BuildingStructureGenerated") == 1


async def test_a_stale_expected_version_and_an_unknown_code(svc):
    accepted = await plate(svc)
    await svc.renumber(accepted.code, Renumber(number="19"), context())
    from services.kernel.base.errors import ConcurrencyConflict

    with pytest.raises(ConcurrencyConflict) as stale:
        await svc.retire_doorplate(accepted.code, RetireDoorplate(reason="拆迁", expected_version=1), context())
    assert stale.value.current_version == 2
    with pytest.raises(NotFound):
        await svc.retire_doorplate("532503001500000000000000", RetireDoorplate(reason="拆迁"), context())


async def test_jurisdiction_is_checked_on_every_record_a_command_touches(svc):
    accepted = await plate(svc)
    elsewhere = Actor(id="PC-9", role="police", organisation_code="532502")  # 个旧市
    with pytest.raises(Forbidden) as outside:
        await svc.retire_doorplate(accepted.code, RetireDoorplate(reason="拆迁"), context(elsewhere))
    assert outside.value.record_division == TOWNSHIP and outside.value.caller_scope == "532502"
    with pytest.raises(Forbidden):
        await svc.register_doorplate(RegisterDoorplate(division_code=TOWNSHIP, road_name="新路", number="1"),
                                     context(elsewhere))
    assert types(svc, accepted.stream_id) == ["DoorplateRegistered"], "nothing was written"
    assert not [s for s in svc.store.streams if "新路" in s]
    township_officer = Actor(id="PC-2", role="police", organisation_code=TOWNSHIP)
    await svc.renumber(accepted.code, Renumber(number="30"), context(township_officer))


async def test_a_province_level_or_retired_division_code_is_reported_as_division_code(svc):
    for code, rule in (("53", "hierarchy.parent_too_high"), ("532522", "division.retired"), ("999999", "division.unknown")):
        with pytest.raises(DomainRuleViolation) as refused:
            await svc.register_doorplate(RegisterDoorplate(division_code=code, road_name="天马路", number="1"), context())
        assert (refused.value.field, refused.value.rule) == ("division_code", rule), code
