"""Commands of the house service (imperative, validated at the edge with pydantic; rules in the domain)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.house import HouseUse, ManagementLevel, PropertyNature
from contracts.parties import PartyRef
from services.kernel.eventsourcing.application import Versioned

ADDRESS_EXAMPLE = "53250300150903414862553101020120037"  #: 天马路18号1栋2单元1203室 (a generated room)
OWNER_EXAMPLE = {"person_id": "P0192f1a2b3c4d5e6"}
SECURITY_EXAMPLE = {"name": "李四", "document_type": "id_card", "document_number": "11010519491231002X",
                    "phone": "13800000000"}


class RegisterHouse(BaseModel):
    """登记实有房屋 at a standard address (a room, or a door plate for a whole house)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "address_code": ADDRESS_EXAMPLE, "property_nature": "commercial", "use": "rented", "area": 89.5, "rooms": 3,
        "owner": OWNER_EXAMPLE, "management_level": "normal", "key_house": False, "key_reason": ""}]})

    address_code: str = Field(min_length=6, max_length=40, description="标准地址编码 of the room or door plate",
                              examples=[ADDRESS_EXAMPLE])
    property_nature: PropertyNature = Field(description="房屋性质: commercial 商品房, private 私房, public 公房, "
                                            "collective 集体, unit 单位自管房, resettlement 安置房, other",
                                            examples=["commercial"])
    use: HouseUse = Field(description="房屋用途: self_occupied 自住, rented 出租, business 经营, vacant 空置, "
                          "dormitory 单位宿舍, group_rental 群租, other", examples=["rented"])
    area: float | None = Field(default=None, gt=0, le=1_000_000, description="建筑面积 m²", examples=[89.5])
    rooms: int | None = Field(default=None, ge=1, le=9_999, description="房间数", examples=[3])
    owner: PartyRef | None = Field(default=None, description="产权人: person_id, unit_id, or name + document",
                                   examples=[OWNER_EXAMPLE])
    management_level: ManagementLevel = Field(default="normal", description="管理等级: normal 一般, attention 关注, "
                                              "strict 严管", examples=["normal"])
    key_house: bool = Field(default=False, description="重点房屋", examples=[False])
    key_reason: str = Field(default="", max_length=500, description="列为重点房屋的原因", examples=[""])


class CorrectHouse(Versioned):
    """补录纠错: only the fields given change."""

    property_nature: PropertyNature | None = Field(default=None, description="房屋性质", examples=["private"])
    area: float | None = Field(default=None, gt=0, le=1_000_000, description="建筑面积 m²", examples=[92.3])
    rooms: int | None = Field(default=None, ge=1, le=9_999, description="房间数", examples=[4])
    reason: str = Field(min_length=1, max_length=500, description="纠错原因", examples=["实地核查面积有误"])


class ChangeUse(Versioned):
    use: HouseUse = Field(description="新的房屋用途", examples=["rented"])
    reason: str = Field(default="", max_length=500, examples=["房主将房屋出租"])


class ChangeOwner(Versioned):
    owner: PartyRef | None = Field(description="新的产权人 (null: unknown)", examples=[OWNER_EXAMPLE])
    reason: str = Field(default="", max_length=500, examples=["房屋买卖过户"])


class SetKeyStatus(Versioned):
    management_level: ManagementLevel = Field(examples=["attention"])
    key_house: bool = Field(examples=[True])
    key_reason: str = Field(default="", max_length=500, examples=["多次发现可疑人员出入"])


class StartRental(Versioned):
    """出租房屋登记."""

    lessor: PartyRef = Field(description="出租人", examples=[OWNER_EXAMPLE])
    lessor_role: Literal["owner", "agent"] = Field(default="owner", description="owner 房主, agent 代理人/二房东",
                                                   examples=["owner"])
    rooms_let: int = Field(ge=1, le=9_999, description="出租间数", examples=[2])
    area_let: float | None = Field(default=None, gt=0, le=1_000_000, description="出租面积 m²", examples=[45.0])
    monthly_rent: float | None = Field(default=None, ge=0, le=10_000_000, description="月租金 元", examples=[1200])
    start: date = Field(description="租赁起始日期", examples=["2026-10-01"])
    end: date | None = Field(default=None, description="租赁截止日期", examples=["2027-09-30"])
    security_person: PartyRef = Field(description="治安责任人", examples=[SECURITY_EXAMPLE])
    responsibility_letter_signed: date | None = Field(default=None, description="治安责任书签订日期",
                                                      examples=["2026-10-01"])


class AddTenant(Versioned):
    """承租人入住."""

    person_id: str = Field(min_length=1, max_length=64, description="实有人口 person id", examples=["P0192f1a2b3c4d5e7"])
    moved_in: date = Field(description="入住日期", examples=["2026-10-02"])


class TenantMoveOut(Versioned):
    moved_out: date = Field(description="搬离日期", examples=["2026-11-01"])


class EndRental(Versioned):
    ended_on: date = Field(description="租赁终止日期", examples=["2026-11-15"])
    reason: str = Field(default="", max_length=500, examples=["合同到期"])


class RecordCheck(Versioned):
    """日常检查."""

    checked_on: date = Field(description="检查日期", examples=["2026-11-03"])
    checker: str | None = Field(default=None, max_length=64, description="检查人 (default: the caller)",
                                examples=["PC-530001"])
    anyone_home: bool = Field(description="是否有人在家", examples=[True])
    abnormal: bool = Field(default=False, description="是否发现异常", examples=[False])
    abnormal_detail: str = Field(default="", max_length=1000, description="异常情况", examples=[""])
    remark: str = Field(default="", max_length=1000, description="备注", examples=["租客信息与登记一致"])


class Demolish(Versioned):
    """拆除/灭失: the house is gone; its current rentals end with the same reason."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "on": "2026-11-20", "reason": "旧城改造征收拆除", "expected_version": 3}]})

    on: date = Field(description="拆除/灭失日期 (not in the future, not before a current rental or tenant)",
                     examples=["2026-11-20"])
    reason: str = Field(min_length=1, max_length=500, description="拆除/灭失原因", examples=["旧城改造征收拆除"])
