"""Commands of the person registry: what callers send (imperative), validated for shape by pydantic.

Registration is one flat body per category (``category`` is the discriminator), so each category's own fields
are required where DOMAIN.md requires them and a 422 ``loc`` ends with the missing field. Rules across fields
(dates, identity against sex and birth date) are the domain's.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, RootModel

from contracts.bounds import CorrectedValue, FieldName
from contracts.identity import DocumentType
from contracts.person import (
    Accommodation, CancellationReason, Employer, ForeignerDetails, HouseholdRegistration, LodgerDetails, MigrantDetails,
    RegisteredDetails, UnregisteredDetails,
)
from services.kernel.eventsourcing.application import Versioned

Text = Annotated[str, Field(max_length=64)]


class PersonFields(BaseModel):
    """The base record (人员基本信息) every category shares."""

    model_config = ConfigDict(extra="forbid")

    document_type: DocumentType = Field(default=DocumentType.resident_id, description="证件类型 (居民身份证 when omitted)")
    document_number: str = Field(min_length=1, max_length=40, description="证件号码 (15-digit legacy numbers accepted)",
                                 examples=["53250319900307121X"])
    nationality: str | None = Field(default=None, max_length=3, description="国籍 (ISO 3166 alpha-3); required for 护照",
                                    examples=[None])
    name: str = Field(min_length=1, max_length=64, description="姓名", examples=["张丽"])
    former_names: list[Text] = Field(default_factory=list, max_length=10, description="曾用名")
    sex: Literal["male", "female"] = Field(description="性别 (must agree with the ID number)", examples=["female"])
    birth_date: date = Field(description="出生日期 (must agree with the ID number)", examples=["1990-03-07"])
    ethnicity: str | None = Field(default=None, max_length=16, description="民族: GB 3304 code or name (01, 汉族)",
                                  examples=["01"])
    phone: str | None = Field(default=None, max_length=32, description="联系电话", examples=["13800138000"])
    household_registration: HouseholdRegistration | None = Field(default=None, description="户籍地")
    education: str | None = Field(default=None, max_length=32, description="文化程度", examples=["大学本科"])
    marital_status: str | None = Field(default=None, max_length=16, description="婚姻状况", examples=["已婚"])
    occupation: str | None = Field(default=None, max_length=64, description="职业", examples=["工人"])
    employer: Employer | None = Field(default=None, description="服务处所")
    photo_ref: str | None = Field(default=None, max_length=256, description="照片引用")
    division_code: str | None = Field(default=None, max_length=12,
                                      description="管辖地 (township or county code); defaults to the caller's organisation",
                                      examples=["532503001"])
    legacy_import: bool = Field(default=False, description="历史数据导入: contradictions are kept as logic errors and a "
                                "duplicate document number is registered for a later merge")


class RegisterRegistered(PersonFields, RegisteredDetails):
    """登记常住人口."""


class RegisterLodger(PersonFields, LodgerDetails):
    """登记寄住人口."""


class RegisterMigrant(PersonFields, MigrantDetails):
    """登记流动人口."""


class RegisterForeigner(PersonFields, ForeignerDetails):
    """登记境外人员. ``nationality`` is required here (the base record has it optional, for passports only)."""

    nationality: str = Field(pattern=r"^[A-Z]{3}$", description="国籍 (ISO 3166 alpha-3)", examples=["LAO"])


class RegisterUnregistered(PersonFields, UnregisteredDetails):
    """登记未落户人员."""


DETAIL_MODELS = {"registered": RegisteredDetails, "lodger": LodgerDetails, "migrant": MigrantDetails,
                 "foreigner": ForeignerDetails, "unregistered": UnregisteredDetails}


class RegisterPerson(RootModel[Annotated[Union[RegisterRegistered, RegisterLodger, RegisterMigrant, RegisterForeigner,
                                                RegisterUnregistered], Field(discriminator="category")]]):
    """登记实有人口: the base record and the fields of its category (``category`` chooses which)."""


def split_registration(command: PersonFields) -> tuple[dict[str, Any], Any]:
    """The base fields and the category details of a flat registration body."""
    details_model = DETAIL_MODELS[command.category]  # type: ignore[attr-defined]
    data = command.model_dump()
    details = details_model.model_validate({name: data[name] for name in details_model.model_fields})
    return {name: data[name] for name in PersonFields.model_fields}, details


class ChangeCategory(Versioned):
    """业务类型变更: the new category and its fields, nested under ``details``."""

    details: Annotated[Union[RegisteredDetails, LodgerDetails, MigrantDetails, ForeignerDetails, UnregisteredDetails],
                       Field(discriminator="category")]
    reason: str = Field(default="", max_length=200, examples=["已落户本地"])


class CorrectPerson(Versioned):
    """更正 base fields with a reason code and a remark; the old values stay in history."""

    changes: dict[FieldName, CorrectedValue] = Field(min_length=1, max_length=12, description="field → corrected value",
                                    examples=[{"name": "张莉"}])
    reason_code: str = Field(min_length=1, max_length=16, description="更正原因代码", examples=["01"])
    remark: str = Field(default="", max_length=200, description="备注", examples=["采集时录入错误"])


class MoveIn(Versioned):
    """入住 / 市内迁移: the person lives at a standard address from ``moved_in``."""

    address_code: str = Field(min_length=1, max_length=40, description="标准地址编码 (room or door plate)",
                              examples=["532503001500000000000000"])
    moved_in: date = Field(description="入住日期", examples=["2026-11-20"])
    reason: str = Field(min_length=1, max_length=64, description="入住原因 / 居住事由", examples=["务工"])
    residence_type: Literal["own", "rental", "lodging", "dormitory", "other"] | None = Field(
        default=None, description="居住方式: 自有 / 租赁 / 借住 / 单位宿舍 / 其他", examples=["rental"])
    owner_name: str | None = Field(default=None, max_length=64, description="房主", examples=["王强"])
    lessor_name: str | None = Field(default=None, max_length=64, description="出租人", examples=["王强"])


class MoveOut(Versioned):
    moved_out: date = Field(description="迁出日期", examples=["2026-11-25"])
    reason: str = Field(default="", max_length=64, description="迁出原因", examples=["返乡"])


class RenewMigrantRegistration(Versioned):
    valid_until: date = Field(description="暂住登记新有效期", examples=["2027-11-27"])


class IssueResidencePermit(Versioned):
    """居住证签发 / 换领 of a migrant (流动人口), after registration: the permit replaces the one held."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "permit_number": "53250320260002", "issued_on": "2026-11-20", "expires_on": "2027-11-19",
        "expected_version": 1}]})

    permit_number: str = Field(min_length=1, max_length=32, description="居住证号码", examples=["53250320260002"])
    issued_on: date = Field(description="签发日期 (not after today)", examples=["2026-11-20"])
    expires_on: date = Field(description="有效期至 (after issued_on)", examples=["2027-11-19"])


class ChangeStay(Versioned):
    """签证 / 停留期限变更 of a foreigner (境外人员): a visa extended or a stay permit changed."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "permitted_stay_until": "2027-07-17", "visa_type": "Z", "visa_number": "V87654321", "expected_version": 1}]})

    permitted_stay_until: date = Field(description="停留有效期至 (not before the entry date)", examples=["2027-07-17"])
    visa_type: str | None = Field(default=None, min_length=1, max_length=16,
                                  description="签证种类 (omitted: unchanged)", examples=["Z"])
    visa_number: str | None = Field(default=None, min_length=1, max_length=32,
                                    description="签证号码 (omitted: unchanged)", examples=["V87654321"])


class ChangeAccommodation(Versioned):
    """境外人员住宿变更: a foreigner moves to another accommodation (a hotel, a home, a rental) at a standard address;
    outside a hotel the stay must be registered within 24 hours of ``arrived_at``."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "accommodation": "hotel", "address_code": "532503001509034148625531", "arrived_at": "2026-11-25T20:30:00+08:00",
        "host_unit": "蒙自天马宾馆", "reason": "工作调动，改住宾馆", "expected_version": 1}]})

    accommodation: Accommodation = Field(description="住宿类型: hotel 宾馆酒店, private_residence 居民家中/自有住房, "
                                         "rental 租住房屋, unit 单位内部, other", examples=["hotel"])
    address_code: str = Field(min_length=1, max_length=40, description="新住地标准地址编码 (room or door plate)",
                              examples=["532503001509034148625531"])
    arrived_at: datetime = Field(description="抵达新住地时间 (not in the future, not before the entry nor the current "
                                 "stay)", examples=["2026-11-25T20:30:00+08:00"])
    host_unit: str | None = Field(default=None, min_length=1, max_length=128, description="旅馆/接待单位 (omitted: "
                                  "unchanged)", examples=["蒙自天马宾馆"])
    reason: str = Field(default="", max_length=64, description="变更原因", examples=["工作调动，改住宾馆"])


class ChangeResidenceDetails(Versioned):
    """居住事由 / 居住类型 / 房主或寄住户主变更 of the open residence (the person stays at the same address): give at
    least one field; one not given stays as it was."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "residence_reason": "经商", "residence_type": "lodging", "host_person_id": "P-0192f1a2b3c4",
        "changed_on": "2026-11-25", "expected_version": 2}]})

    residence_reason: str | None = Field(default=None, min_length=1, max_length=64,
                                         description="居住事由 (omitted: unchanged)", examples=["经商"])
    residence_type: Literal["own", "rental", "lodging", "dormitory", "other"] | None = Field(
        default=None, description="居住类型: 自有 / 租赁 / 借住 / 单位宿舍 / 其他 (omitted: unchanged)", examples=["lodging"])
    host_person_id: str | None = Field(default=None, min_length=1, max_length=40, description="房主或寄住户主: a "
                                       "registered, active person (omitted: unchanged)", examples=["P-0192f1a2b3c4"])
    changed_on: date = Field(description="变更日期 (not after today, not before the residence began)",
                             examples=["2026-11-25"])


class SettleMigrant(Versioned):
    """流动人口落户 (流动 → 常住): the migrant becomes a registered resident of this household."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "settled_on": "2026-11-25", "household_number": "532503001299", "relation_to_head": "户主",
        "lives_at_registered_address": True, "reason": "购房落户", "expected_version": 1}]})

    settled_on: date = Field(description="落户日期 (not after today, not before the arrival)", examples=["2026-11-25"])
    household_number: str = Field(min_length=1, max_length=32, description="户号", examples=["532503001299"])
    relation_to_head: str = Field(min_length=1, max_length=16, description="与户主关系", examples=["户主"])
    lives_at_registered_address: bool = Field(default=True, description="人户一致", examples=[True])
    reason: str = Field(default="", max_length=200, description="落户原因", examples=["购房落户"])


class RegisterHousehold(Versioned):
    """未落户人员落户 (未落户 → 常住): the unregistered person is entered in this household (户口)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "household_number": "532503001288", "relation_to_head": "子", "registered_on": "2026-11-25",
        "lives_at_registered_address": True, "reason": "补录户口", "expected_version": 1}]})

    household_number: str = Field(min_length=1, max_length=32, description="户号", examples=["532503001288"])
    relation_to_head: str = Field(min_length=1, max_length=16, description="与户主关系", examples=["子"])
    registered_on: date = Field(description="落户日期 (not after today, not before the birth date)",
                                examples=["2026-11-25"])
    lives_at_registered_address: bool = Field(default=True, description="人户一致", examples=[True])
    reason: str = Field(default="", max_length=200, description="落户原因", examples=["补录户口"])


class CancelPerson(Versioned):
    """注销 with reason and date."""

    reason: CancellationReason = Field(description="death 死亡 / missing 失踪 / moved_away 迁出 / "
                                       "became_registered_resident 落户", examples=["moved_away"])
    cancelled_on: date = Field(description="注销日期", examples=["2026-11-25"])
    remark: str = Field(default="", max_length=200, examples=["已返回原籍"])


class MergePerson(Versioned):
    survivor_id: str = Field(min_length=1, max_length=64, description="the record that stays", examples=["P-0192f1a2b3c4"])
    reason: str = Field(default="重复录入", max_length=200)


# 重点人员 --------------------------------------------------------------------------------------------------
class ApplyKeyPersonListing(BaseModel):
    """列管申请."""

    model_config = ConfigDict(extra="forbid")

    person_id: str = Field(min_length=1, max_length=64, examples=["P-0192f1a2b3c4"])
    category_code: str = Field(min_length=1, max_length=8, description="重点人员类别代码", examples=["04"])
    problem: str = Field(min_length=1, max_length=1000, description="问题描述 / 列管理由", examples=["有吸毒史，需定期尿检"])
    responsible_unit: str = Field(min_length=1, max_length=64, description="责任单位", examples=["文澜派出所"])
    responsible_officer: str = Field(min_length=1, max_length=64, description="责任民警", examples=["PC-0001"])
    control_level: Literal["1", "2", "3"] = Field(description="管控级别 (1 highest)", examples=["2"])


class Decide(Versioned):
    remark: str = Field(default="", max_length=500, description="审批意见 (a rejection needs its reasons)",
                        examples=["同意"])


class ApplyKeyPersonRelease(Versioned):
    reason: str = Field(min_length=1, max_length=500, description="撤管理由", examples=["已戒断三年，尿检均为阴性"])


class RequestKeyPersonTransfer(Versioned):
    """转递."""

    to_division_code: str = Field(min_length=6, max_length=12, description="接收辖区", examples=["532503002"])
    to_unit: str = Field(min_length=1, max_length=64, description="接收单位", examples=["雨过铺派出所"])
    to_officer: str | None = Field(default=None, max_length=64, description="接收民警", examples=["PC-0200"])
    reason: str = Field(min_length=1, max_length=500, examples=["已迁居雨过铺"])


class RequestKeyPersonRecategorization(Versioned):
    """转类."""

    to_category_code: str = Field(min_length=1, max_length=8, examples=["05"])
    reason: str = Field(min_length=1, max_length=500, examples=["新的犯罪记录"])
