"""Standard-address (标准地址) events: the facts the address service publishes on ybss.address.events."""

from __future__ import annotations

from pydantic import Field

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


class PlaceRenamed(DomainEvent):
    """更名: a road or compound takes a new name; every full name under it follows, the old name stays in history."""

    code: str
    old_name: str
    new_name: str
    reason: str = Field(default="", description="更名原因 / 批文")


class PlaceNumberingRuleSet(DomainEvent):
    """编号规则: which side carries odd numbers and which numbers a local rule skips."""

    code: str
    odd_side: str | None = Field(default=None, description="left / right; None = consecutive numbering")
    skip: list[int] = Field(default_factory=list, description="numbers never issued, e.g. 4, 13, 14")


class PlaceRetired(DomainEvent):
    """A road or compound no longer exists (撤销)."""

    code: str
    reason: str
    retired_on: str = Field(description="ISO date")


class DoorplateApproved(DomainEvent):
    """审核通过 at the configured level."""

    code: str
    level: str = Field(description="none / police_station / district / city")
    remark: str = ""


class DoorplateRejected(DomainEvent):
    """审核不通过: the plate stays on record, rejected, with the reason."""

    code: str
    level: str
    reason: str


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


class DoorplateRelocated(DomainEvent):
    """坐标采集/校正: a new WGS-84 position, with what the caller sent."""

    code: str
    location: GeoPoint
    input_system: str = Field(description="wgs84 / gcj02 / bd09 as sent")
    input_coordinates: tuple[float, float]


class DoorplateAliasAdded(DomainEvent):
    code: str
    alias: str


class DoorplateRetired(DomainEvent):
    """注销 (拆迁, 合并, 错误): retired with reason and date; never deleted."""

    code: str
    reason: str = Field(description="拆迁, 错误登记, 重复 ...")
    retired_on: str = Field(description="ISO date")


class DoorplateMergedInto(DomainEvent):
    """重复门牌清理: this plate is a duplicate of ``survivor_code``; lookups of it redirect there."""

    code: str
    survivor_code: str
    reason: str = ""


class DuplicateDoorplateAbsorbed(DomainEvent):
    """The survivor's side of a merge: it now answers for the duplicate's code and numbers."""

    code: str
    duplicate_code: str
    duplicate_door_number: str


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
