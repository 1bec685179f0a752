"""Commands of the address service (imperative, validated at the edge with pydantic)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field
from pydantic_core import PydanticCustomError

from contracts.bounds import MAX_CODE, Alias
from contracts.geo import CoordinateInput
from services.address.domain.normalize import clean
from services.kernel.eventsourcing.application import Versioned


def _names_something(value: str) -> str:
    """A name that normalises to nothing ("   ", "（备注）": spaces and bracketed remarks are dropped) would give
    an element without a name and no code; refuse it at the edge, naming the rule."""
    value = value.strip()
    if not clean(value):
        raise PydanticCustomError(
            "name.blank", "the name is empty once spaces, punctuation and bracketed remarks are removed",
            {"msg_zh": "名称去掉空格、标点和括号备注后为空"})
    return value


Name = Annotated[str, AfterValidator(_names_something)]


class RegisterPlace(BaseModel):
    """登记地址要素 below the township: 社区/村委会/街路巷/小区/单位院/自然村."""

    element_type: int = Field(description="GA/T 2000.32 type: 31-34, 41-44", examples=[41])
    name: Name = Field(min_length=1, max_length=64, examples=["天马路"])
    parent_code: str = Field(max_length=MAX_CODE, description="township/county code, or the code of a parent place",
                             examples=["532503001"])
    aliases: list[Alias] = Field(default_factory=list, max_length=20)


class RenamePlace(Versioned):
    new_name: Name = Field(min_length=1, max_length=64, examples=["天马大道"])
    reason: str = Field(default="", max_length=200, examples=["蒙自市地名委员会 2026 年第 3 号批复"])


class SetNumberingRule(Versioned):
    odd_side: str | None = Field(default=None, pattern="^(left|right)$", description="单号在左/右; null = 连续编号")
    skip: list[Annotated[int, Field(ge=1, le=99_999)]] = Field(default_factory=list, max_length=200,
                                                              description="不编的号, e.g. [4, 13, 14]")


class RetirePlace(Versioned):
    reason: str = Field(min_length=1, max_length=200, examples=["道路拆除"])
    retired_on: date = Field(default_factory=date.today)


class RegisterDoorplate(BaseModel):
    """登记门楼牌: on a registered road/compound (``place_code``), or by road name in a division."""

    place_code: str | None = Field(default=None, max_length=MAX_CODE, description="code of the road or compound",
                                   examples=[None])
    division_code: str | None = Field(default=None, max_length=MAX_CODE, description="township code when giving road_name",
                                      examples=["532503001"])
    road_name: Name | None = Field(default=None, min_length=1, max_length=64, description="街路巷名称; registered on first use",
                                  examples=["天马路"])
    number: str = Field(min_length=1, max_length=16, description="门牌号: 18, 18号, 十八号, 18-1, A18", examples=["18"])
    prefix: str = Field(default="", max_length=8, description="门牌号前缀 when not written in number")
    temporary: bool = Field(default=False, description="临时门牌")
    side: str | None = Field(default=None, pattern="^(left|right)$", description="side of the road")
    location: CoordinateInput | None = None
    aliases: list[Alias] = Field(default_factory=list, max_length=20)
    source: str = Field(default="back_office", pattern="^(back_office|field_terminal|agency)$",
                        description="来源: 后台, 移动终端, 部门共享")
    allow_duplicate: bool = Field(default=False, description="register even if the road already has this number "
                                  "(legacy imports; the quality report lists it for clean-up)")


class Review(Versioned):
    remark: str = Field(default="", max_length=200, description="审核意见", examples=["实地核实无误"])


class Reject(Versioned):
    reason: str = Field(min_length=1, max_length=200, examples=["门牌号与实地不符"])


class Renumber(Versioned):
    number: str = Field(min_length=1, max_length=16, examples=["20"])
    prefix: str = Field(default="", max_length=8)
    reason: str = Field(default="", max_length=200, examples=["门牌整顿"])
    allow_duplicate: bool = False


class Relocate(Versioned):
    location: CoordinateInput = Field(description="新坐标 (高德/腾讯为 gcj02, 百度为 bd09)",
                                      examples=[{"lng": 103.3712, "lat": 23.3937, "system": "gcj02"}])


class AddAlias(Versioned):
    alias: str = Field(min_length=1, max_length=64, examples=["老天马路18号"])


class RetireDoorplate(Versioned):
    reason: str = Field(min_length=1, max_length=200, examples=["拆迁"])
    retired_on: date = Field(default_factory=date.today)


class MergeDoorplate(Versioned):
    survivor_code: str = Field(max_length=MAX_CODE, description="the door plate that stays", examples=["532503001500000000000000"])
    reason: str = Field(default="重复门牌", max_length=200)


class GenerateBuilding(Versioned):
    """生成层户: units × floors × rooms (+ underground floors and shop fronts) in one command."""

    building: str = Field(default="", max_length=16, description="楼栋, e.g. 3栋; empty when the plate is the building",
                          examples=["3栋"])
    units: int = Field(ge=1, le=20, description="单元数", examples=[2])
    floors: int = Field(ge=1, le=150, description="地上层数", examples=[18])
    rooms_per_floor: int = Field(ge=1, le=999, description="每单元每层户数", examples=[4])
    underground_floors: int = Field(default=0, ge=0, le=10)
    underground_rooms_per_floor: int = Field(default=0, ge=0, le=999)
    shop_fronts: int = Field(default=0, ge=0, le=999, description="门面数")
    seq_digits: int | None = Field(default=None, description="2: floor×100+seq (1203); 3: floor×1000+seq")
    skip_floor_numbers: list[Annotated[int, Field(ge=1, le=200)]] = Field(
        default_factory=list, max_length=50, description="floor labels skipped, e.g. [4, 13, 14]")
