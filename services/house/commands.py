"""Commands of the house service (imperative, validated at the edge with pydantic; rules in the domain)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.house import HouseUse, ManagementLevel, PropertyNature
from contracts.parties import PartyRef, PersonId
from services.kernel.eventsourcing.application import Versioned

ADDRESS_EXAMPLE = "53250300150903414862553101020120037"  #: 天马路18号1栋2单元1203室 (a generated room)
OWNER_EXAMPLE = {"person_id": "P0192f1a2b3c4d5e6"}
SECURITY_EXAMPLE = {"name": "李四", "document_type": "id_card", "document_number": "11010519491231002X",
                    "phone": "13800000000"}
LESSOR_EXAMPLE = {"name": "赵六", "document_type": "id_card", "document_number": "532503198001010015",
                  "phone": "13900000000"}  #: an agent (代理人/二房东) named by document, no registered person needed


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

    person_id: PersonId
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


class ChangeRentalTerms(Versioned):
    """租赁条款变更: the term extended or shortened (租期延长/缩短), the rent, rooms or area let changed. Only the
    terms given change (at least one)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "changed_on": "2026-11-15", "end": "2028-09-30", "rooms_let": 3, "area_let": 60.0, "monthly_rent": 1500,
        "reason": "续租一年并加租一间", "expected_version": 3}]})

    changed_on: date = Field(description="变更日期 (not in the future, not before the rental started)",
                             examples=["2026-11-15"])
    end: date | None = Field(default=None, description="新的租赁截止日期 (after the start and every tenant's stay; "
                             "not in the past while tenants live there)", examples=["2028-09-30"])
    rooms_let: int | None = Field(default=None, ge=1, le=9_999, description="新的出租间数 (the rooms let by all "
                                  "current rentals must exist in the house)", examples=[3])
    area_let: float | None = Field(default=None, gt=0, le=1_000_000, description="新的出租面积 m²", examples=[60.0])
    monthly_rent: float | None = Field(default=None, ge=0, le=10_000_000, description="新的月租金 元", examples=[1500])
    reason: str = Field(default="", max_length=500, description="变更原因", examples=["续租一年并加租一间"])


class ReplaceLessor(Versioned):
    """出租人变更 (房屋过户, 转由代理人/二房东出租)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "lessor": LESSOR_EXAMPLE, "lessor_role": "agent", "replaced_on": "2026-11-15",
        "reason": "房主委托代理人出租", "expected_version": 3}]})

    lessor: PartyRef = Field(description="新的出租人: person_id, unit_id, or name + document",
                             examples=[LESSOR_EXAMPLE])
    lessor_role: Literal["owner", "agent"] = Field(default="owner", description="owner 房主, agent 代理人/二房东",
                                                   examples=["agent"])
    replaced_on: date = Field(description="变更日期 (not in the future, not before the rental started)",
                              examples=["2026-11-15"])
    reason: str = Field(default="", max_length=500, description="变更原因", examples=["房主委托代理人出租"])


class ReplaceSecurityPerson(Versioned):
    """治安责任人变更; the responsibility letter (治安责任书) is the new person's own."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "security_person": SECURITY_EXAMPLE | {"name": "王五", "document_number": "532503198505050037"},
        "responsibility_letter_signed": "2026-11-15", "replaced_on": "2026-11-15", "reason": "原责任人外出务工",
        "expected_version": 3}]})

    security_person: PartyRef = Field(description="新的治安责任人", examples=[SECURITY_EXAMPLE])
    responsibility_letter_signed: date | None = Field(default=None, description="新责任人签订治安责任书的日期 "
                                                      "(absent: not signed yet)", examples=["2026-11-15"])
    replaced_on: date = Field(description="变更日期 (not in the future, not before the rental started)",
                              examples=["2026-11-15"])
    reason: str = Field(default="", max_length=500, description="变更原因", examples=["原责任人外出务工"])


class RequestKeyStatus(Versioned):
    """管理等级/重点房屋 申请 (police of the jurisdiction): list, release or re-level; a supervisor decides."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "management_level": "strict", "key_house": True, "key_reason": "多次发现可疑人员出入",
        "reason": "近一月三次接报可疑人员聚集", "expected_version": 3}]})

    management_level: ManagementLevel = Field(description="申请的管理等级: normal 一般, attention 关注, strict 严管",
                                              examples=["strict"])
    key_house: bool = Field(description="申请后是否为重点房屋 (false: 撤销重点房屋)", examples=[True])
    key_reason: str = Field(default="", max_length=500, description="列为重点房屋的原因 (required for a key house)",
                            examples=["多次发现可疑人员出入"])
    reason: str = Field(min_length=1, max_length=500, description="申请理由", examples=["近一月三次接报可疑人员聚集"])


class DecideKeyStatus(Versioned):
    """审批 of a key-status request (a supervisor of the jurisdiction): the remark is required to reject."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"remark": "同意列为重点房屋", "expected_version": 4}]})

    remark: str = Field(default="", max_length=500, description="审批意见 (驳回须说明理由)", examples=["同意列为重点房屋"])
