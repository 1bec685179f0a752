"""Standard-address aggregates: places (roads, compounds, communities) and door plates. Pure: no I/O.

Each command method checks the rule against current state and records a past-tense event; the
``@applies`` methods are the only place state changes, for commands and replays alike.
"""

from __future__ import annotations

from contracts.address import (
    BuildingStructureGenerated,
    DoorplateAliasAdded,
    DoorplateApproved,
    DoorplateMergedInto,
    DoorplateRegistered,
    DoorplateRejected,
    DoorplateRelocated,
    DoorplateRenumbered,
    DoorplateRetired,
    DuplicateDoorplateAbsorbed,
    PlaceNumberingRuleSet,
    PlaceRegistered,
    PlaceRenamed,
    PlaceRetired,
)
from contracts.geo import GeoPoint
from contracts.buildings import BuildingSpec
from services.kernel.eventsourcing.aggregate import Aggregate, applies
from services.kernel.base.errors import DomainRuleViolation, StateConflict

APPROVAL_LEVELS = ("none", "police_station", "district", "city")


def place_stream(code: str) -> str:
    return f"place-{code}"


def doorplate_stream(code: str) -> str:
    return f"doorplate-{code}"


class Place(Aggregate):
    """A named element below the township: 街路巷, 小区, 单位院, 自然村, 社区, 村委会, 村民小组."""

    stream_type = "Place"

    def __init__(self, stream_id: str) -> None:
        super().__init__(stream_id)
        self.code = self.name = self.element_type = self.division_code = self.parent_code = ""
        self.retired = False

    @classmethod
    def register(cls, event: PlaceRegistered) -> "Place":
        if not event.name.strip():
            raise DomainRuleViolation("name", "required", "name must not be empty", "名称不能为空")
        place = cls(place_stream(event.code))
        place.record(event)
        return place

    def rename(self, new_name: str, reason: str) -> None:
        self._require_in_use()
        new_name = new_name.strip()
        if not new_name:
            raise DomainRuleViolation("new_name", "required", "new name must not be empty", "新名称不能为空")
        if new_name == self.name:
            raise DomainRuleViolation("new_name", "rename.unchanged", "the new name equals the current name",
                                      "新名称与现名称相同")
        self.record(PlaceRenamed(code=self.code, old_name=self.name, new_name=new_name, reason=reason))

    def set_numbering_rule(self, odd_side: str | None, skip: list[int]) -> None:
        self._require_in_use()
        if odd_side not in (None, "left", "right"):
            raise DomainRuleViolation("odd_side", "numbering.side", "odd_side must be left, right or null",
                                      "单号所在侧须为 left、right 或空")
        self.record(PlaceNumberingRuleSet(code=self.code, odd_side=odd_side, skip=sorted(set(skip))))

    def retire(self, reason: str, retired_on: str) -> None:
        self._require_in_use()
        self.record(PlaceRetired(code=self.code, reason=reason, retired_on=retired_on))

    def _require_in_use(self) -> None:
        if self.retired:
            raise StateConflict("place.retired", f"place {self.code} is retired", f"地址要素 {self.code} 已撤销")

    @applies(PlaceRegistered)
    def _registered(self, event: PlaceRegistered) -> None:
        self.code, self.name, self.parent_code = event.code, event.name, event.parent_code
        self.element_type, self.division_code = event.element_type, event.division_code

    @applies(PlaceRenamed)
    def _renamed(self, event: PlaceRenamed) -> None:
        self.name = event.new_name

    @applies(PlaceNumberingRuleSet)
    def _rule_set(self, event: PlaceNumberingRuleSet) -> None:
        pass

    @applies(PlaceRetired)
    def _retired(self, event: PlaceRetired) -> None:
        self.retired = True


class Doorplate(Aggregate):
    """门楼牌: the anchor every person, house and unit hangs on."""

    stream_type = "Doorplate"

    def __init__(self, stream_id: str) -> None:
        super().__init__(stream_id)
        self.code = self.division_code = self.place_code = ""
        self.prefix, self.number, self.suffix = "", "", "号"
        self.status = "in_use"  # in_use / retired / merged
        self.approval_state = "approved"
        self.redirect_to: str | None = None
        self.aliases: list[str] = []
        self.buildings: dict[str, int] = {}
        self.absorbed: set[str] = set()

    @property
    def door_number(self) -> str:
        return f"{self.prefix}{self.number}{self.suffix}"

    @classmethod
    def register(cls, event: DoorplateRegistered) -> "Doorplate":
        if not event.number.strip():
            raise DomainRuleViolation("number", "required", "door number must not be empty", "门牌号不能为空")
        doorplate = cls(doorplate_stream(event.code))
        doorplate.record(event)
        return doorplate

    # approval (审核) --------------------------------------------------------------------------------
    def approve(self, level: str, remark: str = "") -> None:
        self._require_pending()
        self.record(DoorplateApproved(code=self.code, level=level, remark=remark))

    def reject(self, level: str, reason: str) -> None:
        self._require_pending()
        if not reason.strip():
            raise DomainRuleViolation("reason", "required", "a rejection needs a reason", "驳回须说明理由")
        self.record(DoorplateRejected(code=self.code, level=level, reason=reason))

    def _require_pending(self) -> None:
        self._require_in_use()
        if self.approval_state != "pending":
            raise StateConflict("approval.not_pending", f"door plate {self.code} is {self.approval_state}, not pending",
                                f"门牌 {self.code} 当前为 {self.approval_state}，不在待审核状态")

    # lifecycle --------------------------------------------------------------------------------------
    def renumber(self, prefix: str, number: str, suffix: str, reason: str) -> None:
        self._require_in_use()
        if (prefix, number, suffix) == (self.prefix, self.number, self.suffix):
            raise DomainRuleViolation("number", "renumber.unchanged", "the new number equals the current one",
                                      "新门牌号与原门牌号相同")
        self.record(DoorplateRenumbered(
            code=self.code, old_prefix=self.prefix, old_number=self.number, old_suffix=self.suffix,
            prefix=prefix, number=number, suffix=suffix, reason=reason))

    def relocate(self, location: GeoPoint, input_system: str, input_coordinates: tuple[float, float]) -> None:
        self._require_not_merged()
        self.record(DoorplateRelocated(code=self.code, location=location, input_system=input_system,
                                       input_coordinates=input_coordinates))

    def add_alias(self, alias: str) -> None:
        self._require_not_merged()
        alias = alias.strip()
        if not alias:
            raise DomainRuleViolation("alias", "required", "alias must not be empty", "别名不能为空")
        if alias not in self.aliases:
            self.record(DoorplateAliasAdded(code=self.code, alias=alias))

    def retire(self, reason: str, retired_on: str) -> None:
        self._require_in_use()
        if not reason.strip():
            raise DomainRuleViolation("reason", "required", "retiring needs a reason (e.g. 拆迁)", "注销须说明原因（如拆迁）")
        self.record(DoorplateRetired(code=self.code, reason=reason, retired_on=retired_on))

    def merge_into(self, survivor: "Doorplate", reason: str) -> None:
        """This plate is a duplicate of ``survivor``: it retires and redirects there."""
        if self.status == "merged" and self.redirect_to == survivor.code:
            return  # the same merge asked again: nothing new to record
        self._require_in_use()
        if survivor.code == self.code:
            raise DomainRuleViolation("survivor_code", "merge.self", "a door plate cannot be merged into itself",
                                      "门牌不能合并到自身")
        if survivor.status != "in_use":
            raise StateConflict("merge.survivor_not_in_use", f"survivor {survivor.code} is {survivor.status}",
                                f"保留门牌 {survivor.code} 状态为 {survivor.status}")
        self.record(DoorplateMergedInto(code=self.code, survivor_code=survivor.code, reason=reason))

    def absorb(self, duplicate: "Doorplate") -> None:
        """The survivor's side of a merge; idempotent so a retried merge completes cleanly."""
        if duplicate.code in self.absorbed:
            return
        self._require_in_use()
        self.record(DuplicateDoorplateAbsorbed(code=self.code, duplicate_code=duplicate.code,
                                               duplicate_door_number=duplicate.door_number))

    def generate_building(self, building: str, spec: BuildingSpec) -> BuildingStructureGenerated:
        self._require_in_use()
        if self.approval_state == "rejected":
            raise StateConflict("approval.rejected", f"door plate {self.code} was rejected", f"门牌 {self.code} 已被驳回")
        building = building.strip()
        if building in self.buildings:
            raise StateConflict("building.exists", f"building {building or '(the plate itself)'} already has rooms",
                                f"楼栋 {building or '本门牌'} 已生成层户")
        event = BuildingStructureGenerated(
            code=self.code, building=building, building_seq=len(self.buildings) + 1, units=spec.units,
            floors=spec.floors, rooms_per_floor=spec.rooms_per_floor, underground_floors=spec.underground_floors,
            underground_rooms_per_floor=spec.underground_rooms_per_floor, shopfronts=spec.shop_fronts,
            seq_digits=spec.numbering.seq_digits, skip_floor_numbers=sorted(spec.numbering.skip_floor_numbers),
            room_count=spec.room_count,
        )
        self.record(event)
        return event

    def _require_not_merged(self) -> None:
        if self.status == "merged":
            raise StateConflict("doorplate.merged", f"door plate {self.code} was merged into {self.redirect_to}",
                                f"门牌 {self.code} 已合并至 {self.redirect_to}")

    def _require_in_use(self) -> None:
        self._require_not_merged()
        if self.status == "retired":
            raise StateConflict("doorplate.retired", f"door plate {self.code} is retired", f"门牌 {self.code} 已注销")

    # state changes ----------------------------------------------------------------------------------
    @applies(DoorplateRegistered)
    def _registered(self, event: DoorplateRegistered) -> None:
        self.code, self.division_code, self.place_code = event.code, event.division_code, event.place_code
        self.prefix, self.number, self.suffix = event.prefix, event.number, event.suffix
        self.approval_state = event.approval_state
        self.aliases = list(event.aliases)
        self.source = event.source

    @applies(DoorplateApproved)
    def _approved(self, event: DoorplateApproved) -> None:
        self.approval_state = "approved"

    @applies(DoorplateRejected)
    def _rejected(self, event: DoorplateRejected) -> None:
        self.approval_state = "rejected"

    @applies(DoorplateRenumbered)
    def _renumbered(self, event: DoorplateRenumbered) -> None:
        self.prefix, self.number, self.suffix = event.prefix, event.number, event.suffix

    @applies(DoorplateRelocated)
    def _relocated(self, event: DoorplateRelocated) -> None:
        pass

    @applies(DoorplateAliasAdded)
    def _alias_added(self, event: DoorplateAliasAdded) -> None:
        self.aliases.append(event.alias)

    @applies(DoorplateRetired)
    def _retired(self, event: DoorplateRetired) -> None:
        self.status = "retired"

    @applies(DoorplateMergedInto)
    def _merged(self, event: DoorplateMergedInto) -> None:
        self.status, self.redirect_to = "merged", event.survivor_code

    @applies(DuplicateDoorplateAbsorbed)
    def _absorbed(self, event: DuplicateDoorplateAbsorbed) -> None:
        self.absorbed.add(event.duplicate_code)

    @applies(BuildingStructureGenerated)
    def _building(self, event: BuildingStructureGenerated) -> None:
        self.buildings[event.building] = event.building_seq
