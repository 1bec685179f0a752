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
