"""Application service of the address registry: load aggregate, check set-wide rules, decide, append.

Rules that span streams (one road of a name under a parent, one door plate of a number on a road) are
kept with write-side claims, not by reading eventually-consistent read models.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Callable, TypeVar

from pydantic import BaseModel

from contracts.address import DoorplateRegistered, PlaceRegistered
from contracts.geo import CoordinateInput, GeoPoint
from contracts import divisions
from services.address.domain import geo
from services.address.domain.buildings import BuildingSpec, BuildingSpecError, RoomNumbering
from services.address.domain.codes import address_code
from services.address.commands import (
    AddAlias, GenerateBuilding, MergeDoorplate, Reject, Relocate, RegisterDoorplate, RegisterPlace, RenamePlace,
    Renumber, RetireDoorplate, RetirePlace, Review, SetNumberingRule,
)
from services.address.config import APPROVERS, AddressSettings
from services.address.domain.aggregates import Doorplate, Place, doorplate_stream, place_stream
from contracts.elements import ElementType, check_parent, parse_element_type
from services.address.domain.normalize import clean
from services.address.domain.numbering import DoorNumber, DoorNumberError, parse_door_number
from services.kernel.aggregate import Aggregate, CommandContext, Repository
from services.kernel.claims import claim, owner_of, release, release_if_stale
from services.kernel.errors import ConcurrencyConflict, DomainRuleViolation, Forbidden, NotFound, StateConflict
from services.kernel.runtime import Runtime

A = TypeVar("A", bound=Aggregate)
MAX_SALT = 20
PENDING = "pending:"  # claim owner while the claimant is still registering
STALE_CLAIM_SECONDS = 30.0


class Accepted(BaseModel):
    code: str
    stream_id: str
    version: int


class AddressService:
    def __init__(self, rt: Runtime, settings: AddressSettings) -> None:
        self.rt = rt
        self.settings = settings
        self.places = Repository(rt.store, Place)
        self.doorplates = Repository(rt.store, Doorplate)

    # shared steps -----------------------------------------------------------------------------------
    async def _load(self, repository: Repository[A], stream_id: str, kind: str, code: str,
                    expected_version: int | None = None) -> A:
        aggregate = await repository.get(stream_id)
        if aggregate is None:
            raise NotFound(kind, code)
        if expected_version is not None and expected_version != aggregate.version:
            raise ConcurrencyConflict(stream_id, expected_version, aggregate.version)
        return aggregate

    async def _change(self, repository: Repository[A], stream_id: str, kind: str, code: str,
                      expected_version: int | None, action: Callable[[A], None], ctx: CommandContext) -> Accepted:
        aggregate = await self._load(repository, stream_id, kind, code, expected_version)
        action(aggregate)
        await repository.save(aggregate, ctx)
        return Accepted(code=code, stream_id=stream_id, version=aggregate.version)

    async def _register(self, repository: Repository[A], make: Callable[[str], A], code_for: Callable[[int], str],
                        ctx: CommandContext) -> A:
        """Append version 1 under the first free code; a taken code (hash clash) moves to the next salt."""
        for salt in range(MAX_SALT):
            code = code_for(salt)
            aggregate = make(code)
            if await self.rt.store.current_version(aggregate.id):
                continue
            try:
                await repository.save(aggregate, ctx)
                return aggregate
            except ConcurrencyConflict:
                continue
        raise StateConflict("code.exhausted", "no free address code after many tries", "地址编码分配失败")

    # places -----------------------------------------------------------------------------------------
    async def _parent(self, parent_code: str) -> tuple[ElementType, str, str | None]:
        """Element type of the parent, the division the child lies in, and the parent place code if any."""
        if len(parent_code) == 24:
            place = await self.places.get(place_stream(parent_code))
            if place is None:
                raise DomainRuleViolation("parent_code", "parent.unknown", f"no place with code {parent_code}",
                                          f"上级地址要素 {parent_code} 不存在")
            if place.retired:
                raise DomainRuleViolation("parent_code", "parent.retired", f"parent {parent_code} is retired",
                                          f"上级地址要素 {parent_code} 已撤销")
            return ElementType(int(place.element_type)), place.division_code, parent_code
        division = divisions.get(parent_code)
        if division is None:
            raise DomainRuleViolation("parent_code", "division.unknown", f"{parent_code!r} is not a known division code",
                                      f"行政区划代码 {parent_code} 不存在")
        if not divisions.is_current(division.code):
            successor = divisions.resolve(division.code)
            hint = f"; use {successor.code} {successor.name}" if successor else ""
            raise DomainRuleViolation("parent_code", "division.retired", f"division {division.code} is no longer in use{hint}",
                                      f"行政区划 {division.code} 已撤销")
        if len(division.code) not in (6, 9):
            raise DomainRuleViolation("parent_code", "hierarchy.parent_too_high",
                                      "places hang under a county or township, not a province or prefecture",
                                      "地址要素须挂在县级或乡级区划之下")
        return division.element_type, division.code, None

    async def register_place(self, command: RegisterPlace, ctx: CommandContext) -> Accepted:
        try:
            element_type = parse_element_type(command.element_type)
        except ValueError as error:
            raise DomainRuleViolation("element_type", "element_type.unknown", str(error)) from None
        if not 31 <= int(element_type) <= 44:
            raise DomainRuleViolation("element_type", "element_type.not_a_place",
                                      "places are types 31-34 (community level) or 41-44 (road/compound level)",
                                      "地址要素类型须为 31-34 或 41-44")
        parent_type, division_code, parent_place = await self._parent(command.parent_code)
        violation = check_parent(parent_type, element_type)
        if violation:
            raise DomainRuleViolation("element_type", f"hierarchy.{violation.rule}", violation.message_en, violation.message_zh)
        name = command.name.strip()
        key = f"place:{command.parent_code}:{int(element_type)}:{clean(name)}"
        holder = await self._settled_owner(key)
        if holder:
            raise StateConflict("place.duplicate", f"{name} is already registered under {command.parent_code} "
                                f"as {holder}", f"{name} 已登记")

        def make(code: str) -> Place:
            return Place.register(PlaceRegistered(code=code, element_type=f"{int(element_type)}", name=name,
                                                  parent_code=command.parent_code, division_code=division_code,
                                                  aliases=command.aliases))

        def code_for(salt: int) -> str:
            return address_code(division_code, element_type, name, parent_code=parent_place, salt=salt)

        return await self._claimed_register(key, self.places, make, code_for, ctx)

    async def _claimed_register(self, key: str, repository, make, code_for, ctx) -> Accepted:
        """Claim ``key`` with a token only this request holds, register, then hand the claim to the new code.

        Codes are deterministic, so two racing requests would compute the same one: the claim must be made
        with something unique to the request, or both would believe they had won.
        """
        token = f"{PENDING}{uuid.uuid4()}"
        winner = await claim(self.rt.db, key, token)
        if winner != token:
            raise StateConflict("duplicate", f"already registered as {winner}", f"已登记，编码 {winner}")
        try:
            aggregate = await self._register(repository, make, code_for, ctx)
        except BaseException:
            await release(self.rt.db, key, token)
            raise
        await self.rt.db["claims"].update_one({"_id": key, "owner": token}, {"$set": {"owner": aggregate.code}})
        return Accepted(code=aggregate.code, stream_id=aggregate.id, version=aggregate.version)

    async def _settled_owner(self, key: str, timeout_seconds: float = 3.0) -> str | None:
        """The code holding ``key``, waiting out a concurrent request that is still registering it."""
        deadline = asyncio.get_running_loop().time() + timeout_seconds
        while True:
            owner = await owner_of(self.rt.db, key)
            if owner is None or not owner.startswith(PENDING):
                return owner
            if asyncio.get_running_loop().time() > deadline:
                # a claimant that has not finished within STALE_CLAIM_SECONDS died mid-registration
                released = await release_if_stale(self.rt.db, key, owner, STALE_CLAIM_SECONDS)
                return None if released else owner
            await asyncio.sleep(0.02)

    async def road_by_name(self, division_code: str, name: str, ctx: CommandContext) -> str:
        """The road of this name in the division, registering it on first use (the slice's shortcut)."""
        key = f"place:{division_code}:{int(ElementType.ROAD)}:{clean(name)}"
        existing = await self._settled_owner(key)
        if existing is None:
            try:
                command = RegisterPlace(element_type=41, name=name, parent_code=division_code)
                return (await self.register_place(command, ctx)).code
            except StateConflict:
                existing = await self._settled_owner(key)
        return existing

    async def rename_place(self, code: str, command: RenamePlace, ctx: CommandContext) -> Accepted:
        place = await self._load(self.places, place_stream(code), "place", code, command.expected_version)
        parent = (await self.rt.store.read_stream(place.id))[0].payload["parent_code"]
        new_key = f"place:{parent}:{place.element_type}:{clean(command.new_name.strip())}"
        old_key = f"place:{parent}:{place.element_type}:{clean(place.name)}"
        if await claim(self.rt.db, new_key, code) != code:
            raise StateConflict("place.duplicate", f"{command.new_name} already exists under {parent}", "新名称已被占用")
        try:
            place.rename(command.new_name, command.reason)
            await self.places.save(place, ctx)
        except BaseException:
            await release(self.rt.db, new_key, code)
            raise
        await release(self.rt.db, old_key, code)
        return Accepted(code=code, stream_id=place.id, version=place.version)

    async def set_numbering_rule(self, code: str, command: SetNumberingRule, ctx: CommandContext) -> Accepted:
        return await self._change(self.places, place_stream(code), "place", code, command.expected_version,
                                  lambda place: place.set_numbering_rule(command.odd_side, command.skip), ctx)

    async def retire_place(self, code: str, command: RetirePlace, ctx: CommandContext) -> Accepted:
        return await self._change(self.places, place_stream(code), "place", code, command.expected_version,
                                  lambda place: place.retire(command.reason, command.retired_on.isoformat()), ctx)

    # door plates ------------------------------------------------------------------------------------
    def _door(self, number: str, prefix: str) -> DoorNumber:
        try:
            door = parse_door_number(f"{prefix}{number}")
        except DoorNumberError as error:
            raise DomainRuleViolation("number", "door_number.format", str(error)) from None
        return door

    def _location(self, location: CoordinateInput | None, division_code: str, field: str = "location") -> tuple[GeoPoint | None, str, tuple]:
        if location is None:
            return None, "wgs84", ()
        lng, lat = geo.to_wgs84(location.lng, location.lat, str(location.system))
        check = geo.plausibly_within(division_code, lng, lat, margin_m=self.settings.plausibility_margin_m)
        if not check.ok:
            raise DomainRuleViolation(field, "location.outside_division", check.message_en, check.message_zh)
        return GeoPoint(coordinates=(round(lng, 7), round(lat, 7))), str(location.system), (location.lng, location.lat)

    async def register_doorplate(self, command: RegisterDoorplate, ctx: CommandContext) -> Accepted:
        place_code = command.place_code
        if place_code is None:
            if not (command.division_code and command.road_name):
                raise DomainRuleViolation("place_code", "required", "give place_code, or division_code and road_name",
                                          "须提供 place_code，或 division_code 与 road_name")
            if divisions.get(command.division_code) is None:
                raise DomainRuleViolation("division_code", "division.unknown",
                                          f"division code {command.division_code!r} is not a known division",
                                          f"行政区划代码 {command.division_code} 不存在")
            door = self._door(command.number, command.prefix)
            place_code = await self.road_by_name(command.division_code, command.road_name.strip(), ctx)
        else:
            door = self._door(command.number, command.prefix)
        place = await self.places.get(place_stream(place_code))
        if place is None:
            raise DomainRuleViolation("place_code", "place.unknown", f"no road or compound with code {place_code}",
                                      f"街路巷/小区 {place_code} 不存在")
        if place.retired:
            raise DomainRuleViolation("place_code", "place.retired", f"{place.name} is retired", f"{place.name} 已撤销")
        violation = check_parent(int(place.element_type), ElementType.BUILDING)
        if violation:
            raise DomainRuleViolation("place_code", f"hierarchy.{violation.rule}", violation.message_en, violation.message_zh)
        location, system, raw = self._location(command.location, place.division_code)
        approval = "approved" if self.settings.approval_level == "none" else "pending"
        number_text = str(door.number) if door.sub is None else f"{door.number}-{door.sub}"

        def make(code: str) -> Doorplate:
            return Doorplate.register(DoorplateRegistered(
                code=code, division_code=place.division_code, place_code=place_code, place_name=place.name,
                prefix=door.prefix, number=number_text, suffix=door.suffix, temporary=command.temporary,
                location=location, aliases=command.aliases, source=command.source, approval_state=approval,
                side=command.side))

        def code_for(salt: int) -> str:
            return address_code(place.division_code, ElementType.BUILDING, door.key, parent_code=place_code, salt=salt)

        key = f"doorkey:{place_code}:{door.key}"
        holder = await self._settled_owner(key)
        if holder and not command.allow_duplicate:
            raise StateConflict("doorplate.duplicate", f"{place.name}{door.format()} is already registered as {holder}",
                                f"{place.name}{door.format()} 已登记，编码 {holder}")
        if holder:
            doorplate = await self._register(self.doorplates, make, lambda salt: code_for(salt + 1), ctx)
            return Accepted(code=doorplate.code, stream_id=doorplate.id, version=doorplate.version)
        try:
            return await self._claimed_register(key, self.doorplates, make, code_for, ctx)
        except StateConflict as conflict:
            if command.allow_duplicate and conflict.rule == "duplicate":
                doorplate = await self._register(self.doorplates, make, lambda salt: code_for(salt + 1), ctx)
                return Accepted(code=doorplate.code, stream_id=doorplate.id, version=doorplate.version)
            raise StateConflict("doorplate.duplicate", f"{place.name}{door.format()} is already registered",
                                f"{place.name}{door.format()} 已登记") from None

    async def review(self, code: str, command: Review | Reject, ctx: CommandContext) -> Accepted:
        level = self.settings.approval_level
        allowed = APPROVERS.get(level, ())
        if level != "none" and ctx.actor.role not in allowed:  # with no approval, the state check answers
            raise Forbidden(f"approval at level {level} needs one of the roles {list(allowed)}, not {ctx.actor.role}",
                            f"{level} 级审核须由 {'/'.join(allowed) or '（无需审核）'} 办理")
        if isinstance(command, Reject):
            action = lambda plate: plate.reject(level, command.reason)  # noqa: E731
        else:
            action = lambda plate: plate.approve(level, command.remark)  # noqa: E731
        return await self._change(self.doorplates, doorplate_stream(code), "doorplate", code,
                                  command.expected_version, action, ctx)

    async def renumber(self, code: str, command: Renumber, ctx: CommandContext) -> Accepted:
        plate = await self._load(self.doorplates, doorplate_stream(code), "doorplate", code, command.expected_version)
        door = self._door(command.number, command.prefix)
        old = self._door(plate.number, plate.prefix)
        new_key, old_key = f"doorkey:{plate.place_code}:{door.key}", f"doorkey:{plate.place_code}:{old.key}"
        holder = await claim(self.rt.db, new_key, code)
        if holder != code and not command.allow_duplicate:
            raise StateConflict("doorplate.duplicate", f"number {door.format()} is already used by {holder}",
                                f"门牌号 {door.format()} 已被 {holder} 使用")
        number_text = str(door.number) if door.sub is None else f"{door.number}-{door.sub}"
        plate.renumber(door.prefix, number_text, door.suffix, command.reason)
        await self.doorplates.save(plate, ctx)
        if new_key != old_key:
            await release(self.rt.db, old_key, code)
        return Accepted(code=code, stream_id=plate.id, version=plate.version)

    async def relocate(self, code: str, command: Relocate, ctx: CommandContext) -> Accepted:
        plate = await self._load(self.doorplates, doorplate_stream(code), "doorplate", code, command.expected_version)
        location, system, raw = self._location(command.location, plate.division_code)
        plate.relocate(location, system, raw)
        await self.doorplates.save(plate, ctx)
        return Accepted(code=code, stream_id=plate.id, version=plate.version)

    async def add_alias(self, code: str, command: AddAlias, ctx: CommandContext) -> Accepted:
        return await self._change(self.doorplates, doorplate_stream(code), "doorplate", code, command.expected_version,
                                  lambda plate: plate.add_alias(command.alias), ctx)

    async def retire_doorplate(self, code: str, command: RetireDoorplate, ctx: CommandContext) -> Accepted:
        accepted = await self._change(
            self.doorplates, doorplate_stream(code), "doorplate", code, command.expected_version,
            lambda plate: plate.retire(command.reason, command.retired_on.isoformat()), ctx)
        await self._release_door_key(code)
        return accepted

    async def _release_door_key(self, code: str) -> None:
        await self.rt.db["claims"].delete_many({"_id": {"$regex": "^doorkey:"}, "owner": code})

    async def merge(self, code: str, command: MergeDoorplate, ctx: CommandContext) -> Accepted:
        """Retire ``code`` into the survivor; both sides are idempotent so a retried merge completes."""
        duplicate = await self._load(self.doorplates, doorplate_stream(code), "doorplate", code, command.expected_version)
        survivor = await self.doorplates.get(doorplate_stream(command.survivor_code))
        if survivor is None:
            raise DomainRuleViolation("survivor_code", "doorplate.unknown", f"no door plate {command.survivor_code}",
                                      f"门牌 {command.survivor_code} 不存在")
        duplicate.merge_into(survivor, command.reason)
        await self.doorplates.save(duplicate, ctx)
        survivor.absorb(duplicate)
        await self.doorplates.save(survivor, ctx)
        await self._release_door_key(code)
        return Accepted(code=code, stream_id=duplicate.id, version=duplicate.version)

    async def generate_building(self, code: str, command: GenerateBuilding, ctx: CommandContext) -> tuple[Accepted, int]:
        try:
            spec = BuildingSpec(
                units=command.units, floors=command.floors, rooms_per_floor=command.rooms_per_floor,
                underground_floors=command.underground_floors,
                underground_rooms_per_floor=command.underground_rooms_per_floor, shop_fronts=command.shop_fronts,
                numbering=RoomNumbering(seq_digits=command.seq_digits or self.settings.room_seq_digits,
                                        skip_floor_numbers=frozenset(command.skip_floor_numbers)))
        except BuildingSpecError as error:
            raise DomainRuleViolation(error.field, "building.range", error.message_en, error.message_zh) from None
        plate = await self._load(self.doorplates, doorplate_stream(code), "doorplate", code, command.expected_version)
        event = plate.generate_building(command.building, spec)
        await self.doorplates.save(plate, ctx)
        return Accepted(code=code, stream_id=plate.id, version=plate.version), event.room_count
