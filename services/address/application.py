"""Application service of the address registry: its own rules on top of the kernel's load-decide-append.

Rules that span streams (one road of a name under a parent, one door plate of a number on a road) are kept
with write-side claims (services.kernel.eventsourcing.claims), never by reading eventually-consistent read models.
"""

from __future__ import annotations

from typing import Callable

from pydantic import Field

from contracts import divisions
from contracts.address import DoorplateRegistered, PlaceRegistered
from contracts.elements import ElementType, check_parent, parse_element_type
from contracts.geo import CoordinateInput, GeoPoint
from services.address.commands import (
    AddAlias, GenerateBuilding, MergeDoorplate, Reject, Relocate, RegisterDoorplate, RegisterPlace, RenamePlace,
    Renumber, RetireDoorplate, RetirePlace, Review, SetNumberingRule,
)
from services.address.config import APPROVERS, AddressSettings

AGENCY_APPROVAL_LEVEL = "police_station"  #: the least review an agency's door-plate application gets
from services.address.domain import geo
from services.address.domain.aggregates import Doorplate, Place, doorplate_stream, place_stream
from contracts.buildings import BuildingSpec, BuildingSpecError, RoomNumbering
from services.address.domain.codes import address_code
from services.address.domain.normalize import clean
from services.address.domain.numbering import DoorNumber, DoorNumberError, parse_door_number
from services.kernel.eventsourcing.aggregate import CommandContext
from services.kernel.eventsourcing.application import Accepted, Application
from services.kernel.base.errors import DomainRuleViolation, Forbidden, StateConflict
from services.kernel.eventsourcing.ports import ClaimsPort, EventStorePort

class AddressAccepted(Accepted):
    """A command's answer: the address code it concerns, its stream and the new version."""

    code: str = Field(examples=["532503001500000000000000"])


def doorplate_duplicate(label: str) -> Callable[[str], StateConflict]:
    return lambda holder: StateConflict("doorplate.duplicate", f"{label} is already registered as {holder}",
                                        f"{label} 已登记，编码 {holder}")


def place_duplicate(name: str, parent: str) -> Callable[[str], StateConflict]:
    return lambda holder: StateConflict("place.duplicate", f"{name} is already registered under {parent} as {holder}",
                                        f"{name} 已登记，编码 {holder}")


def place_key(parent_code: str, element_type: int | str, name: str) -> str:
    return f"place:{parent_code}:{int(element_type)}:{clean(name)}"


def door_claim_key(place_code: str, door: DoorNumber) -> str:
    return f"doorkey:{place_code}:{door.key}"


class AddressService(Application):
    def __init__(self, store: EventStorePort, claims: ClaimsPort, settings: AddressSettings) -> None:
        super().__init__(store, claims)
        self.settings = settings

    def accepted(self, aggregate: Place | Doorplate) -> AddressAccepted:
        return AddressAccepted(code=aggregate.code, stream_id=aggregate.id, version=aggregate.version)

    async def _change_plate(self, code: str, expected_version: int | None, action, ctx: CommandContext) -> AddressAccepted:
        return self.accepted(await self.change(Doorplate, doorplate_stream(code), code, expected_version, action, ctx))

    async def _change_place(self, code: str, expected_version: int | None, action, ctx: CommandContext) -> AddressAccepted:
        return self.accepted(await self.change(Place, place_stream(code), code, expected_version, action, ctx))

    # places -----------------------------------------------------------------------------------------
    async def _parent(self, parent_code: str, field: str = "parent_code") -> tuple[ElementType, str, str | None]:
        """Element type of the parent, the division the child lies in, and the parent place code if any."""
        if len(parent_code) == 24:
            place = await self.find(Place, place_stream(parent_code))
            if place is None:
                raise DomainRuleViolation(field, "parent.unknown", f"no place with code {parent_code}",
                                          f"上级地址要素 {parent_code} 不存在")
            if place.retired:
                raise DomainRuleViolation(field, "parent.retired", f"parent {parent_code} is retired",
                                          f"上级地址要素 {parent_code} 已撤销")
            return ElementType(int(place.element_type)), place.division_code, parent_code
        division = divisions.get(parent_code)
        if division is None:
            raise DomainRuleViolation(field, "division.unknown", f"{parent_code!r} is not a known division code",
                                      f"行政区划代码 {parent_code} 不存在")
        if not divisions.is_current(division.code):
            successor = divisions.resolve(division.code)
            hint = f"; use {successor.code} {successor.name}" if successor else ""
            raise DomainRuleViolation(field, "division.retired", f"division {division.code} is no longer in use{hint}",
                                      f"行政区划 {division.code} 已撤销")
        if len(division.code) not in (6, 9):
            raise DomainRuleViolation(field, "hierarchy.parent_too_high",
                                      "places hang under a county or township, not a province or prefecture",
                                      "地址要素须挂在县级或乡级区划之下")
        return division.element_type, division.code, None

    async def register_place(self, command: RegisterPlace, ctx: CommandContext,
                             parent_field: str = "parent_code") -> AddressAccepted:
        """Register a place under a division or a parent place; the division must lie in the caller's jurisdiction."""
        try:
            element_type = parse_element_type(command.element_type)
        except ValueError as error:
            raise DomainRuleViolation("element_type", "element_type.unknown", str(error)) from None
        if not 31 <= int(element_type) <= 44:
            raise DomainRuleViolation("element_type", "element_type.not_a_place",
                                      "places are types 31-34 (community level) or 41-44 (road/compound level)",
                                      "地址要素类型须为 31-34 或 41-44")
        parent_type, division_code, parent_place = await self._parent(command.parent_code, parent_field)
        ctx.require_within(division_code)
        violation = check_parent(parent_type, element_type)
        if violation:
            raise DomainRuleViolation("element_type", f"hierarchy.{violation.rule}", violation.message_en, violation.message_zh)
        name = command.name.strip()

        def make(salt: int) -> Place:
            code = address_code(division_code, element_type, name, parent_code=parent_place, salt=salt)
            return Place.register(PlaceRegistered(code=code, element_type=f"{int(element_type)}", name=name,
                                                  parent_code=command.parent_code, division_code=division_code,
                                                  aliases=command.aliases))

        place = await self.register_claimed(place_key(command.parent_code, element_type, name),
                                            lambda: self.register_first_free(make, ctx), lambda place: place.code,
                                            place_duplicate(name, command.parent_code))
        return self.accepted(place)

    async def road_by_name(self, division_code: str, name: str, ctx: CommandContext) -> str:
        """The road of this name in the division, registering it on first use (the slice's shortcut)."""
        key = place_key(division_code, ElementType.ROAD, name)
        existing = await self.settled_owner(key)
        if existing is None:
            try:
                command = RegisterPlace(element_type=41, name=name, parent_code=division_code)
                return (await self.register_place(command, ctx, parent_field="division_code")).code
            except StateConflict:
                existing = await self.settled_owner(key)
        return existing

    async def rename_place(self, code: str, command: RenamePlace, ctx: CommandContext) -> AddressAccepted:
        place = await self.load(Place, place_stream(code), code, command.expected_version, ctx)
        new_name = command.new_name.strip()

        async def write() -> Place:
            place.rename(new_name, command.reason)
            return await self.save(place, ctx)

        await self.move_key(place_key(place.parent_code, place.element_type, place.name),
                            place_key(place.parent_code, place.element_type, new_name), code, write,
                            place_duplicate(new_name, place.parent_code))
        return self.accepted(place)

    async def set_numbering_rule(self, code: str, command: SetNumberingRule, ctx: CommandContext) -> AddressAccepted:
        return await self._change_place(code, command.expected_version,
                                        lambda place: place.set_numbering_rule(command.odd_side, command.skip), ctx)

    async def retire_place(self, code: str, command: RetirePlace, ctx: CommandContext) -> AddressAccepted:
        accepted = await self._change_place(code, command.expected_version,
                                            lambda place: place.retire(command.reason, command.retired_on.isoformat()), ctx)
        await self.claims.release_all(code, prefix="place:")  # a retired road frees its name
        return accepted

    # door plates ------------------------------------------------------------------------------------
    def _door(self, number: str, prefix: str) -> DoorNumber:
        try:
            return parse_door_number(f"{prefix}{number}")
        except DoorNumberError as error:
            raise DomainRuleViolation("number", "door_number.format", str(error)) from None

    def _location(self, location: CoordinateInput | None, division_code: str, field: str = "location") -> tuple[GeoPoint | None, str, tuple]:
        if location is None:
            return None, "wgs84", ()
        lng, lat = geo.to_wgs84(location.lng, location.lat, str(location.system))
        check = geo.plausibly_within(division_code, lng, lat, margin_m=self.settings.plausibility_margin_m)
        if not check.ok:
            raise DomainRuleViolation(field, "location.outside_division", check.message_en, check.message_zh)
        return GeoPoint(coordinates=(round(lng, 7), round(lat, 7))), str(location.system), (location.lng, location.lat)

    async def register_doorplate(self, command: RegisterDoorplate, ctx: CommandContext) -> AddressAccepted:
        place_code = command.place_code
        door = None
        if place_code is None:
            if not (command.division_code and command.road_name):
                raise DomainRuleViolation("place_code", "required", "give place_code, or division_code and road_name",
                                          "须提供 place_code，或 division_code 与 road_name")
            await self._parent(command.division_code, field="division_code")
            door = self._door(command.number, command.prefix)
            place_code = await self.road_by_name(command.division_code, command.road_name.strip(), ctx)
        door = door or self._door(command.number, command.prefix)
        place = await self.find(Place, place_stream(place_code))
        if place is None:
            raise DomainRuleViolation("place_code", "place.unknown", f"no road or compound with code {place_code}",
                                      f"街路巷/小区 {place_code} 不存在")
        ctx.require_within(place.division_code)
        if place.retired:
            raise DomainRuleViolation("place_code", "place.retired", f"{place.name} is retired", f"{place.name} 已撤销")
        violation = check_parent(int(place.element_type), ElementType.BUILDING)
        if violation:
            raise DomainRuleViolation("place_code", f"hierarchy.{violation.rule}", violation.message_en, violation.message_zh)
        location, system, raw = self._location(command.location, place.division_code)
        approval = "approved" if self.approval_level(command.source) == "none" else "pending"
        number_text = str(door.number) if door.sub is None else f"{door.number}-{door.sub}"

        def make(salt: int) -> Doorplate:
            code = address_code(place.division_code, ElementType.BUILDING, door.key, parent_code=place_code, salt=salt)
            return Doorplate.register(DoorplateRegistered(
                code=code, division_code=place.division_code, place_code=place_code, place_name=place.name,
                prefix=door.prefix, number=number_text, suffix=door.suffix, temporary=command.temporary,
                location=location, aliases=command.aliases, source=command.source, approval_state=approval,
                side=command.side))

        label = f"{place.name}{door.format()}"
        key = door_claim_key(place_code, door)
        try:
            plate = await self.register_claimed(key, lambda: self.register_first_free(make, ctx),
                                                lambda plate: plate.code, doorplate_duplicate(label))
        except StateConflict as conflict:
            if not (command.allow_duplicate and conflict.rule == "doorplate.duplicate"):
                raise
            # a legacy duplicate: its own code (next salt), no claim; the quality report lists it
            plate = await self.register_first_free(lambda salt: make(salt + 1), ctx)
        return self.accepted(plate)

    def approval_level(self, source: str | None) -> str:
        """The level a door plate from ``source`` is approved at: the configured one; an agency's application
        (民政 门牌申请) is always reviewed, by the police station at least, even where collectors' plates need none."""
        level = self.settings.approval_level
        return AGENCY_APPROVAL_LEVEL if level == "none" and source == "agency" else level

    async def review(self, code: str, command: Review | Reject, ctx: CommandContext) -> AddressAccepted:
        def action(plate: Doorplate) -> None:
            level = self.approval_level(getattr(plate, "source", None))
            allowed = APPROVERS.get(level, ())
            if level != "none" and ctx.actor.role not in allowed:  # with no approval, the state check answers
                raise Forbidden(f"approval at level {level} needs one of the roles {list(allowed)}, not "
                                f"{ctx.actor.role}", f"{level} 级审核须由 {'/'.join(allowed) or '（无需审核）'} 办理")
            if isinstance(command, Reject):
                plate.reject(level, command.reason)
            else:
                plate.approve(level, command.remark)

        return await self._change_plate(code, command.expected_version, action, ctx)

    async def renumber(self, code: str, command: Renumber, ctx: CommandContext) -> AddressAccepted:
        plate = await self.load(Doorplate, doorplate_stream(code), code, command.expected_version, ctx)
        door = self._door(command.number, command.prefix)
        old = self._door(plate.number, plate.prefix)
        number_text = str(door.number) if door.sub is None else f"{door.number}-{door.sub}"

        async def write() -> Doorplate:
            plate.renumber(door.prefix, number_text, door.suffix, command.reason)
            return await self.save(plate, ctx)

        await self.move_key(door_claim_key(plate.place_code, old), door_claim_key(plate.place_code, door), code, write,
                            lambda holder: StateConflict("doorplate.duplicate",
                                                         f"number {door.format()} is already used by {holder}",
                                                         f"门牌号 {door.format()} 已被 {holder} 使用"),
                            allow_duplicate=command.allow_duplicate)
        return self.accepted(plate)

    async def relocate(self, code: str, command: Relocate, ctx: CommandContext) -> AddressAccepted:
        plate = await self.load(Doorplate, doorplate_stream(code), code, command.expected_version, ctx)
        location, system, raw = self._location(command.location, plate.division_code)
        plate.relocate(location, system, raw)
        await self.save(plate, ctx)
        return self.accepted(plate)

    async def add_alias(self, code: str, command: AddAlias, ctx: CommandContext) -> AddressAccepted:
        return await self._change_plate(code, command.expected_version, lambda plate: plate.add_alias(command.alias), ctx)

    async def retire_doorplate(self, code: str, command: RetireDoorplate, ctx: CommandContext) -> AddressAccepted:
        accepted = await self._change_plate(code, command.expected_version,
                                            lambda plate: plate.retire(command.reason, command.retired_on.isoformat()), ctx)
        await self.claims.release_all(code, prefix="doorkey:")
        return accepted

    async def merge(self, code: str, command: MergeDoorplate, ctx: CommandContext) -> AddressAccepted:
        """Retire ``code`` into the survivor; both sides are idempotent so a retried merge completes."""
        duplicate = await self.load(Doorplate, doorplate_stream(code), code, command.expected_version, ctx)
        survivor = await self.find(Doorplate, doorplate_stream(command.survivor_code))
        if survivor is None:
            raise DomainRuleViolation("survivor_code", "doorplate.unknown", f"no door plate {command.survivor_code}",
                                      f"门牌 {command.survivor_code} 不存在")
        ctx.require_within(survivor.division_code)
        duplicate.merge_into(survivor, command.reason)
        await self.save(duplicate, ctx)
        survivor.absorb(duplicate)
        await self.save(survivor, ctx)
        await self.claims.release_all(code, prefix="doorkey:")
        return self.accepted(duplicate)

    async def generate_building(self, code: str, command: GenerateBuilding, ctx: CommandContext) -> tuple[AddressAccepted, int]:
        try:
            spec = BuildingSpec(
                units=command.units, floors=command.floors, rooms_per_floor=command.rooms_per_floor,
                underground_floors=command.underground_floors,
                underground_rooms_per_floor=command.underground_rooms_per_floor, shop_fronts=command.shop_fronts,
                numbering=RoomNumbering(seq_digits=command.seq_digits or self.settings.room_seq_digits,
                                        skip_floor_numbers=frozenset(command.skip_floor_numbers)))
        except BuildingSpecError as error:
            raise DomainRuleViolation(error.field, "building.range", error.message_en, error.message_zh) from None
        plate = await self.load(Doorplate, doorplate_stream(code), code, command.expected_version, ctx)
        event = plate.generate_building(command.building, spec)
        await self.save(plate, ctx)
        return self.accepted(plate), event.room_count
