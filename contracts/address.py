"""Standard-address (标准地址) events: the facts the address service publishes on ybss.address.events."""

from __future__ import annotations

from pydantic import Field

from contracts.buildings import SUMMARY_FIELDS
from contracts.events import DomainEvent
from contracts.geo import GeoPoint


class PlaceRegistered(DomainEvent):
    """A sub-township element registered: 社区/村委会/村民小组, 街路巷, 小区/单位院, 自然村."""

    code: str = Field(description="standard address code of the element")
    element_type: str = Field(description="GA/T 2000.32 element type code, e.g. 41 街路巷")
    name: str
    parent_code: str = Field(description="division (township/county) code or parent element code")
    division_code: str = Field(description="township (9 digits) or county (6 digits) it lies in")
    aliases: list[str] = Field(default_factory=list)

    def evolve(self, state: dict) -> dict:
        return {**state, **self.model_dump(mode="json"), "status": "in_use", "former_names": [],
                "numbering_rule": None}


class DoorplateRegistered(DomainEvent):
    """门楼牌 registered on a road or in a compound."""

    code: str = Field(description="standard address code of the door plate")
    division_code: str = Field(description="township or county code (行政区划代码)")
    place_code: str = Field(description="code of the road or compound the plate is on")
    place_name: str = Field(description="road or compound name at registration (街路巷/小区名)")
    prefix: str = Field(default="", description="门牌号前缀, e.g. 东")
    number: str = Field(description="门牌号 number part, e.g. 18 or 18-1")
    suffix: str = Field(default="号", description="门牌号后缀, default 号")
    temporary: bool = Field(default=False, description="临时门牌")
    location: GeoPoint | None = Field(default=None, description="WGS-84 position")
    aliases: list[str] = Field(default_factory=list, description="别名")
    source: str = Field(default="back_office", description="来源: back_office, field_terminal, agency")
    approval_state: str = Field(default="approved", description="pending / approved / rejected")
    side: str | None = Field(default=None, description="side of the road: left / right (单双号)")

    def evolve(self, state: dict) -> dict:
        door = f"{self.prefix}{self.number}{self.suffix}"
        return {**state, **self.model_dump(mode="json"), "door_number": door, "status": "in_use",
                "redirect_to": None, "merged_from": [], "former_numbers": [], "buildings": [], "approvals": []}


class PlaceRenamed(DomainEvent):
    """更名: a road or compound takes a new name; every full name under it follows, the old name stays in history."""

    code: str
    old_name: str
    new_name: str
    reason: str = Field(default="", description="更名原因 / 批文")

    def evolve(self, state: dict) -> dict:
        """The old name moves to ``former_names`` (its end date is the envelope's occurred_at)."""
        former = [*state.get("former_names", []), {"name": self.old_name, "reason": self.reason}]
        return {**state, "name": self.new_name, "former_names": former}


class PlaceNumberingRuleSet(DomainEvent):
    """编号规则: which side carries odd numbers and which numbers a local rule skips."""

    code: str
    odd_side: str | None = Field(default=None, description="left / right; None = consecutive numbering")
    skip: list[int] = Field(default_factory=list, description="numbers never issued, e.g. 4, 13, 14")

    def evolve(self, state: dict) -> dict:
        return {**state, "numbering_rule": {"odd_side": self.odd_side, "skip": list(self.skip)}}


class PlaceRetired(DomainEvent):
    """A road or compound no longer exists (撤销)."""

    code: str
    reason: str
    retired_on: str = Field(description="ISO date")

    def evolve(self, state: dict) -> dict:
        return {**state, "status": "retired", "retired": {"reason": self.reason, "on": self.retired_on}}


class DoorplateApproved(DomainEvent):
    """审核通过 at the configured level."""

    code: str
    level: str = Field(description="none / police_station / district / city")
    remark: str = ""

    def evolve(self, state: dict) -> dict:
        """Who decided and when are the envelope's actor and occurred_at."""
        review = {"decision": "approved", "level": self.level, "note": self.remark}
        return {**state, "approval_state": "approved", "approvals": [*state.get("approvals", []), review]}


class DoorplateRejected(DomainEvent):
    """审核不通过: the plate stays on record, rejected, with the reason."""

    code: str
    level: str
    reason: str

    def evolve(self, state: dict) -> dict:
        review = {"decision": "rejected", "level": self.level, "note": self.reason}
        return {**state, "approval_state": "rejected", "approvals": [*state.get("approvals", []), review]}


class DoorplateRenumbered(DomainEvent):
    """门牌号变更 (整顿): new number; the old one stays in history and as an alias."""

    code: str
    old_prefix: str
    old_number: str
    old_suffix: str
    prefix: str
    number: str
    suffix: str
    reason: str = ""

    def evolve(self, state: dict) -> dict:
        old = f"{self.old_prefix}{self.old_number}{self.old_suffix}"
        former = [*state.get("former_numbers", []), {"door_number": old, "reason": self.reason}]
        return {**state, "prefix": self.prefix, "number": self.number, "suffix": self.suffix,
                "door_number": f"{self.prefix}{self.number}{self.suffix}", "former_numbers": former}


class DoorplateRelocated(DomainEvent):
    """坐标采集/校正: a new WGS-84 position, with what the caller sent."""

    code: str
    location: GeoPoint
    input_system: str = Field(description="wgs84 / gcj02 / bd09 as sent")
    input_coordinates: tuple[float, float]

    def evolve(self, state: dict) -> dict:
        dumped = self.model_dump(mode="json")
        return {**state, "location": dumped["location"],
                "location_input": {"system": self.input_system, "coordinates": dumped["input_coordinates"]}}


class DoorplateAliasAdded(DomainEvent):
    code: str
    alias: str

    def evolve(self, state: dict) -> dict:
        return {**state, "aliases": [*state.get("aliases", []), self.alias]}


class DoorplateRetired(DomainEvent):
    """注销 (拆迁, 合并, 错误): retired with reason and date; never deleted."""

    code: str
    reason: str = Field(description="拆迁, 错误登记, 重复 ...")
    retired_on: str = Field(description="ISO date")

    def evolve(self, state: dict) -> dict:
        return {**state, "status": "retired", "retired": {"reason": self.reason, "on": self.retired_on}}


class DoorplateMergedInto(DomainEvent):
    """重复门牌清理: this plate is a duplicate of ``survivor_code``; lookups of it redirect there."""

    code: str
    survivor_code: str
    reason: str = ""

    def evolve(self, state: dict) -> dict:
        """Retired as a duplicate, redirecting to the survivor (the date is the envelope's occurred_at)."""
        return {**state, "status": "merged", "redirect_to": self.survivor_code,
                "retired": {"reason": self.reason or "重复门牌合并"}}


class DuplicateDoorplateAbsorbed(DomainEvent):
    """The survivor's side of a merge: it now answers for the duplicate's code and numbers."""

    code: str
    duplicate_code: str
    duplicate_door_number: str

    def evolve(self, state: dict) -> dict:
        absorbed = {"code": self.duplicate_code, "door_number": self.duplicate_door_number}
        return {**state, "merged_from": [*state.get("merged_from", []), absorbed]}


class BuildingStructureGenerated(DomainEvent):
    """生成层户: units × floors × rooms under a door plate; every room becomes a standard address."""

    code: str = Field(description="door plate code")
    building: str = Field(default="", description="楼栋 label, e.g. 3栋; empty when the plate is the building")
    building_seq: int = Field(ge=1, le=99, description="building sequence within the plate, part of room codes")
    units: int = Field(ge=1, le=20, description="单元数")
    floors: int = Field(ge=1, le=150, description="地上层数")
    rooms_per_floor: int = Field(ge=1, le=999, description="每层户数")
    underground_floors: int = Field(default=0, ge=0, le=10, description="地下层数")
    underground_rooms_per_floor: int = Field(default=0, ge=0, le=999, description="地下每层户数")
    shopfronts: int = Field(default=0, ge=0, le=999, description="门面/商铺数")
    seq_digits: int | None = Field(default=None, description="room sequence digits: 2 = floor×100+seq, 3 = ×1000")
    skip_floor_numbers: list[int] = Field(default_factory=list, description="floor labels a local rule skips")
    room_count: int = Field(ge=1, description="rooms generated, for readers that do not expand")

    def evolve(self, state: dict) -> dict:
        """The plate keeps a summary per building (all a room code is checked against); the rooms themselves are
        the read model's expansion."""
        dumped = self.model_dump(mode="json")
        summary = {key: dumped[key] for key in SUMMARY_FIELDS}
        return {**state, "buildings": [*state.get("buildings", []), summary]}
