"""Actual-population (实有人口) events: the facts the person service publishes on ybss.person.events.

Two kinds of stream: ``person-<person_id>`` (the person, their category, residences, cancellation, merges) and
``keyperson-<key_person_id>`` (重点人员 列管: applied → listed → release applied → released, with transfer 转递 and
change of category 转类). Code tables (GB 3304 ethnicities, key-person categories) are in contracts.person_codes,
document rules in contracts.identity.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import BaseModel, ConfigDict, Field

from contracts import key_person_record
from contracts.events import DomainEvent
from contracts.listing import Step
from contracts.person_record import evolve_event


class Category(StrEnum):
    """实有人口业务类型."""

    registered = "registered"  #: 常住人口
    lodger = "lodger"  #: 寄住人口
    migrant = "migrant"  #: 流动人口 (暂住)
    foreigner = "foreigner"  #: 境外人员
    unregistered = "unregistered"  #: 未落户人员


CATEGORY_NAMES_ZH = {Category.registered: "常住人口", Category.lodger: "寄住人口", Category.migrant: "流动人口",
                     Category.foreigner: "境外人员", Category.unregistered: "未落户人员"}


class MigrantReason(StrEnum):
    """居住事由."""

    work = "work"  #: 务工
    business = "business"  #: 经商
    study = "study"  #: 学习培训
    family = "family"  #: 投靠亲友
    construction = "construction"  #: 建筑施工
    medical = "medical"  #: 就医
    other = "other"  #: 其他


class MigrantResidenceType(StrEnum):
    """居住处所类型 of a migrant."""

    rental = "rental"  #: 租赁房屋
    unit_internal = "unit_internal"  #: 单位内部
    construction_site = "construction_site"  #: 工地现场
    resident_home = "resident_home"  #: 居民家中
    hotel = "hotel"  #: 旅馆
    other = "other"  #: 其他


class Accommodation(StrEnum):
    """境外人员住宿类型: outside a hotel the host must register within 24 hours (住宿登记)."""

    hotel = "hotel"  #: 宾馆酒店 (registered by the hotel)
    private_residence = "private_residence"  #: 居民家中 / 自有住房
    rental = "rental"  #: 租住房屋
    unit = "unit"  #: 单位内部
    other = "other"


class CancellationReason(StrEnum):
    """注销原因."""

    death = "death"  #: 死亡
    missing = "missing"  #: 失踪
    moved_away = "moved_away"  #: 迁出 / 离开
    became_registered_resident = "became_registered_resident"  #: 落户转为常住


class Details(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RegisteredDetails(Details):
    """常住人口."""

    category: Literal["registered"] = "registered"
    household_number: str = Field(min_length=1, max_length=32, description="户号", examples=["532503001234"])
    relation_to_head: str = Field(min_length=1, max_length=16, description="与户主关系", examples=["户主"])
    lives_at_registered_address: bool = Field(description="人户一致: lives where registered", examples=[True])
    moved_in_on: date | None = Field(default=None, description="迁入日期", examples=["2001-05-01"])
    move_in_reason: str | None = Field(default=None, max_length=64, description="迁入原因", examples=["出生"])


class LodgerDetails(Details):
    """寄住人口."""

    category: Literal["lodger"] = "lodger"
    lodging_type: str = Field(min_length=1, max_length=32, description="寄住类型", examples=["亲属寄住"])
    lodging_reason: str = Field(min_length=1, max_length=64, description="寄住原因", examples=["就学"])
    start_date: date = Field(description="寄住开始日期", examples=["2026-09-01"])
    expected_leave_date: date | None = Field(default=None, description="预计离开日期", examples=["2027-07-01"])
    relation_to_owner: str = Field(min_length=1, max_length=16, description="与房主关系", examples=["外甥"])
    owner_name: str = Field(min_length=1, max_length=64, description="房主姓名", examples=["李华"])


class MigrantDetails(Details):
    """流动人口 (暂住)."""

    category: Literal["migrant"] = "migrant"
    residence_reason: MigrantReason = Field(description="居住事由", examples=["work"])
    arrival_date: date = Field(description="来本地日期 / moved in", examples=["2026-11-20"])
    origin: str = Field(min_length=1, max_length=128, description="从何地来 (division code or text)", examples=["四川省广安市"])
    residence_type: MigrantResidenceType = Field(description="居住处所", examples=["rental"])
    renting: bool = Field(default=False, description="租住: the 3-day registration rule applies", examples=[True])
    owner_name: str | None = Field(default=None, max_length=64, description="房东 / 房主", examples=["王强"])
    residence_permit_number: str | None = Field(default=None, max_length=32, description="居住证号码",
                                                examples=["53250320260001"])
    residence_permit_expiry: date | None = Field(default=None, description="居住证有效期至", examples=["2027-11-20"])
    registration_valid_until: date | None = Field(
        default=None, description="暂住登记有效期至 (defaults to one year after registration)", examples=["2027-11-21"])


class ForeignerDetails(Details):
    """境外人员."""

    category: Literal["foreigner"] = "foreigner"
    nationality: str = Field(pattern=r"^[A-Z]{3}$", description="国籍 (ISO 3166 alpha-3)", examples=["LAO"])
    foreign_name: str = Field(min_length=1, max_length=128, description="外文姓名", examples=["SOMPHONE KEO"])
    visa_type: str = Field(min_length=1, max_length=16, description="签证种类", examples=["Z"])
    visa_number: str = Field(min_length=1, max_length=32, description="签证号码", examples=["V12345678"])
    entry_date: date = Field(description="入境日期", examples=["2026-11-18"])
    permitted_stay_until: date = Field(description="停留有效期至", examples=["2027-05-17"])
    accommodation: Accommodation = Field(description="住宿类型", examples=["rental"])
    arrived_at: datetime = Field(description="抵达住地时间: outside a hotel, registration is due within 24 hours",
                                 examples=["2026-11-19T10:00:00+08:00"])
    host_unit: str | None = Field(default=None, max_length=128, description="邀请/接待单位", examples=["蒙自市某贸易公司"])
    emergency_contact: str | None = Field(default=None, max_length=128, description="紧急联系人",
                                          examples=["KEO SOMSAK +85620555123"])


class UnregisteredDetails(Details):
    """未落户人员."""

    category: Literal["unregistered"] = "unregistered"
    reason_not_registered: str = Field(min_length=1, max_length=128, description="未落户原因 (the employer is the "
                                       "base record's ``employer``)", examples=["超生未落户"])


CategoryDetails = Annotated[
    Union[RegisteredDetails, LodgerDetails, MigrantDetails, ForeignerDetails, UnregisteredDetails],
    Field(discriminator="category"),
]


class HouseholdRegistration(BaseModel):
    """户籍地: a division code and the detail address there."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    division_code: str = Field(max_length=40, description="户籍地行政区划代码", examples=["511602"])
    detail: str = Field(default="", max_length=128, description="户籍地详址", examples=["协兴镇牌坊村3组"])


class Employer(BaseModel):
    """服务处所 / 工作单位: a unit id once units exist, or a name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    unit_id: str | None = Field(default=None, max_length=40, description="实有单位 id", examples=[None])
    name: str | None = Field(default=None, max_length=128, description="单位名称", examples=["蒙自市某建筑公司"])


class LogicError(BaseModel):
    """逻辑错误 kept on a legacy import instead of refused (e.g. sex contradicts the ID number)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str
    rule: str
    message: str


class _PersonFact(BaseModel):
    """A fact of a person's stream: its effect on the record is the one transition of contracts.person_record
    (the aggregate, the registry, the replicas and the audit fold with it)."""

    evolve = evolve_event


class PersonRegistered(_PersonFact, DomainEvent):
    """A person entered the registry (实有人口登记)."""

    person_id: str
    document_type: str = Field(description="证件类型 (contracts.identity.DocumentType)")
    document_number: str = Field(description="证件号码, normalised (18 characters for an upgraded legacy number)")
    legacy_number: str | None = Field(default=None, description="旧15位身份证号码 it was upgraded from")
    nationality: str | None = Field(default=None, description="国籍 (passports, foreign cards)")
    name: str = Field(description="姓名")
    former_names: list[str] = Field(default_factory=list, description="曾用名")
    sex: Literal["male", "female"] = Field(description="性别")
    birth_date: date = Field(description="出生日期")
    ethnicity: str | None = Field(default=None, description="民族 (GB 3304 code)")
    phone: str | None = Field(default=None, description="联系电话, E.164")
    household_registration: HouseholdRegistration | None = Field(default=None, description="户籍地")
    education: str | None = Field(default=None, description="文化程度")
    marital_status: str | None = Field(default=None, description="婚姻状况")
    occupation: str | None = Field(default=None, description="职业")
    employer: Employer | None = Field(default=None, description="服务处所")
    photo_ref: str | None = Field(default=None, description="照片引用")
    category: Category = Field(description="实有人口业务类型")
    details: CategoryDetails = Field(description="the category's own fields")
    legacy_import: bool = Field(default=False, description="历史数据导入: contradictions kept as logic errors")
    logic_errors: list[LogicError] = Field(default_factory=list, description="逻辑错误 found at registration")
    division_code: str = Field(description="管辖地: township (or county) of the jurisdiction owning the record")


class PersonCategoryChanged(_PersonFact, DomainEvent):
    """业务类型变更: e.g. a migrant who settles becomes 常住 — an event, not an edit."""

    person_id: str
    old_category: Category
    category: Category
    details: CategoryDetails
    reason: str = ""


class PersonCorrected(_PersonFact, DomainEvent):
    """更正: new values of some base fields, the old values kept in ``old_values`` (and in history)."""

    person_id: str
    changes: dict[str, Any] = Field(description="field → new value")
    old_values: dict[str, Any] = Field(description="field → value before the correction")
    reason_code: str = Field(description="更正原因代码")
    remark: str = ""


class ResidenceRegistered(_PersonFact, DomainEvent):
    """入住 (人房关联): the person lives at a standard address from ``moved_in``; a previous residence ends then."""

    person_id: str
    address_code: str = Field(description="标准地址编码 (room or door plate), after following a merge")
    requested_code: str | None = Field(default=None, description="the code given, when a merge redirected it")
    address_name: str | None = Field(default=None, description="standard full name when it was registered")
    moved_in: date = Field(description="入住日期")
    reason: str = Field(description="入住原因 / 居住事由")
    residence_type: str | None = Field(default=None, description="居住方式: own, rental, lodging, dormitory, other")
    owner_name: str | None = Field(default=None, description="房主")
    lessor_name: str | None = Field(default=None, description="出租人")
    division_code: str | None = Field(default=None, description="township of the address: the person's record now "
                                      "belongs to this jurisdiction (管辖地 follows the residence)")


class ResidenceEnded(_PersonFact, DomainEvent):
    """迁出 / 离开: the current residence ends on ``moved_out``."""

    person_id: str
    address_code: str
    moved_out: date
    reason: str = ""


class MigrantRegistrationRenewed(_PersonFact, DomainEvent):
    """暂住登记续期."""

    person_id: str
    valid_until: date


class ResidencePermitIssued(_PersonFact, DomainEvent):
    """居住证签发 / 换领 after registration: the migrant's permit is now this one (its deadline flags follow)."""

    person_id: str
    permit_number: str = Field(description="居住证号码")
    issued_on: date = Field(description="签发日期")
    expires_on: date = Field(description="有效期至")


class StayPermitChanged(_PersonFact, DomainEvent):
    """签证 / 停留期限变更 of a foreigner (延期, 换发): the permitted stay ends on ``permitted_stay_until`` now; a visa
    type or number not given stays as it was."""

    person_id: str
    permitted_stay_until: date = Field(description="停留有效期至")
    visa_type: str | None = Field(default=None, description="签证种类 (None: unchanged)")
    visa_number: str | None = Field(default=None, description="签证号码 (None: unchanged)")


class ForeignerAccommodationChanged(_PersonFact, DomainEvent):
    """境外人员住宿变更: a foreigner moves to another accommodation (a hotel, a home, a rental) at a standard address,
    arriving at ``arrived_at``. The accommodation's type and arrival replace the ones held (so the 24-hour
    住宿登记 deadline is judged on this stay), and the open residence ends the day the new one begins, as at 入住
    (the address's township owns the record)."""

    person_id: str
    accommodation: Accommodation = Field(description="住宿类型")
    address_code: str = Field(description="住宿地标准地址编码, after following a merge")
    requested_code: str | None = Field(default=None, description="the code given, when a merge redirected it")
    address_name: str | None = Field(default=None, description="standard full name when it was registered")
    division_code: str | None = Field(default=None, description="township of the address: the record's jurisdiction")
    arrived_at: datetime = Field(description="抵达新住地时间")
    moved_in: date = Field(description="入住日期 (the arrival's Beijing day)")
    host_unit: str | None = Field(default=None, description="旅馆/接待单位 (None: unchanged)")
    reason: str = Field(default="住宿变更", description="变更原因")


class MigrantSettled(_PersonFact, DomainEvent):
    """流动人口落户 (流动 → 常住): a migrant settles and is a registered resident (常住人口) from ``settled_on``; the
    migrant's fields stay in the stream's history, the category history records the step."""

    person_id: str
    settled_on: date = Field(description="落户日期")
    household_number: str = Field(description="户号")
    relation_to_head: str = Field(description="与户主关系")
    lives_at_registered_address: bool = Field(description="人户一致")
    reason: str = Field(default="", description="落户原因 / 备注")


class HouseholdRegistered(_PersonFact, DomainEvent):
    """未落户人员落户 (未落户 → 常住): an unregistered person is entered in a household (户口) and is a registered
    resident (常住人口) from ``registered_on``; the category history records the step, the stream keeps the rest."""

    person_id: str
    registered_on: date = Field(description="落户日期")
    household_number: str = Field(description="户号")
    relation_to_head: str = Field(description="与户主关系")
    lives_at_registered_address: bool = Field(description="人户一致")
    reason: str = Field(default="", description="落户原因 / 备注")


class ResidenceDetailsChanged(_PersonFact, DomainEvent):
    """居住事由 / 居住类型 / 房主或寄住户主变更 of the open residence from ``changed_on``: only the fields given change
    (None: unchanged); the residence is the same one, its earlier values stay in the stream's history."""

    person_id: str
    address_code: str = Field(description="the open residence's 标准地址编码")
    changed_on: date = Field(description="变更日期")
    residence_reason: str | None = Field(default=None, description="居住事由 (None: unchanged)")
    residence_type: str | None = Field(default=None, description="居住类型: own, rental, lodging, dormitory, other "
                                       "(None: unchanged)")
    host_person_id: str | None = Field(default=None, description="房主或寄住户主 (a registered person; None: unchanged)")


class PersonCancelled(_PersonFact, DomainEvent):
    """注销 with reason and date; the record stays, marked cancelled."""

    person_id: str
    reason: CancellationReason
    cancelled_on: date
    remark: str = ""


class PersonMergedInto(_PersonFact, DomainEvent):
    """重复人员合并: this record duplicates ``survivor_id``; reading it answers with the survivor."""

    person_id: str
    survivor_id: str
    reason: str = ""


class DuplicatePersonAbsorbed(_PersonFact, DomainEvent):
    """The survivor's side of a merge: it now answers for the duplicate's record."""

    person_id: str
    duplicate_id: str


# 重点人员 --------------------------------------------------------------------------------------------------
class KeyPersonState(StrEnum):
    applied = "applied"  #: 列管申请
    listed = "listed"  #: 已列管
    rejected = "rejected"  #: 列管申请不通过
    release_applied = "release_applied"  #: 撤管申请
    released = "released"  #: 已撤管


KEY_PERSON_STATES_ZH = {KeyPersonState.applied: "列管申请", KeyPersonState.listed: "已列管",
                        KeyPersonState.rejected: "列管申请不通过", KeyPersonState.release_applied: "撤管申请",
                        KeyPersonState.released: "已撤管"}


class _KeyPersonFact(BaseModel):
    """A fact of a key person's stream: its effect on the record is the one transition of
    contracts.key_person_record (the aggregate, the registry, the replicas and the watch fold with it)."""

    evolve = key_person_record.evolve_event


class KeyPersonListingApplied(_KeyPersonFact, DomainEvent):
    """列管申请: police of the responsible jurisdiction apply to list a person as a key person."""

    key_person_id: str
    person_id: str
    category_code: str = Field(description="重点人员类别 (contracts.person_codes.key_person_categories)")
    problem: str = Field(description="问题描述 / 列管理由")
    responsible_unit: str = Field(description="责任单位")
    responsible_officer: str = Field(description="责任民警")
    control_level: str = Field(description="管控级别")
    division_code: str = Field(description="管辖地 (township or county)")


class _Decision(_KeyPersonFact):
    """Fields of an approval or refusal by a supervisor of the jurisdiction; ``remark`` carries the reasons.
    ``decides`` (列管/撤管 decisions): which request it decides and whether it approves (contracts.listing)."""

    decides: ClassVar[tuple[Step, bool]]
    key_person_id: str
    remark: str = ""


class KeyPersonListed(_Decision, DomainEvent):
    """列管审批通过 → 已列管."""

    decides = ("listing", True)


class KeyPersonListingRejected(_Decision, DomainEvent):
    """列管申请不通过."""

    decides = ("listing", False)


class KeyPersonReleaseApplied(_KeyPersonFact, DomainEvent):
    """撤管申请."""

    key_person_id: str
    reason: str


class KeyPersonReleased(_Decision, DomainEvent):
    """撤管审批通过 → 已撤管."""

    decides = ("release", True)


class KeyPersonReleaseRejected(_Decision, DomainEvent):
    """撤管申请不通过: stays 已列管."""

    decides = ("release", False)


class KeyPersonTransferRequested(_KeyPersonFact, DomainEvent):
    """转递申请: to another responsible unit and/or jurisdiction."""

    key_person_id: str
    to_division_code: str
    to_unit: str
    to_officer: str | None = None
    reason: str


class KeyPersonTransferred(_Decision, DomainEvent):
    """转递审批通过: the record now belongs to the receiving jurisdiction and unit."""

    to_division_code: str
    to_unit: str
    to_officer: str | None = None


class KeyPersonRecategorizationRequested(_KeyPersonFact, DomainEvent):
    """转类申请."""

    key_person_id: str
    to_category_code: str
    reason: str


class KeyPersonRecategorized(_Decision, DomainEvent):
    """转类审批通过."""

    to_category_code: str


class KeyPersonRequestRejected(_Decision, DomainEvent):
    """转递 or 转类 request refused: nothing changes but the pending request is closed."""

    request: Literal["transfer", "recategorization"]


# the person context also publishes the key-person watch's alerts (ybss.person.alerts)
from contracts.watch import (  # noqa: E402,F401 - re-exported: part of this context's published language
    KeyPersonAlertAcknowledged, KeyPersonAlertRaised, KeyPersonAlertReinstated, KeyPersonAlertResolved,
    KeyPersonAlertWithdrawn,
)
# and the hotel stays agencies report (旅馆住宿登记, services/person/agency_records.py)
from contracts.person_stays import HotelStayRecorded  # noqa: E402,F401 - re-exported: part of this context's language
