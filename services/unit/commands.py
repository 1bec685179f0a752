"""Commands of the unit service (imperative, validated at the edge with pydantic; rules in the domain)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from contracts.bounds import Alias, Code
from contracts.parties import PartyRef, PersonId
from contracts.unit import Licence, UnitType
from services.kernel.eventsourcing.application import Versioned

ADDRESS_EXAMPLE = "532503001509034148625531"  #: 蒙自市文澜街道天马路18号 (a door plate)
NEW_ADDRESS_EXAMPLE = "532503002509034148625542"  #: 蒙自市雨过铺街道新安所路42号 (where a unit moves to)
LICENCE_EXAMPLE = {"kind": "营业执照", "number": "91532503MA6K0001X1", "valid_from": "2020-05-01", "valid_until": None,
                   "issuer": "蒙自市市场监督管理局"}


class RegisterUnit(BaseModel):
    """登记实有单位 at a standard address."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "name": "蒙自天马宾馆有限公司", "aliases": ["天马宾馆"], "uscc": "91110108551385082Q", "unit_type": "enterprise",
        "industry_code": "H61", "address_code": ADDRESS_EXAMPLE, "legal_representative": {"person_id": "P0192f1a2b3c4d5e6"},
        "security_person": {"name": "王五", "document_type": "id_card", "document_number": "11010219840406970X"},
        "phone": "0873-3712345", "business_scope": "住宿服务", "opened_on": "2020-05-01", "area": 1200,
        "capacity": 120, "licences": [LICENCE_EXAMPLE]}]})

    name: str = Field(min_length=1, max_length=200, description="单位名称", examples=["蒙自天马宾馆有限公司"])
    aliases: list[Alias] = Field(default_factory=list, max_length=20, description="别名/招牌名", examples=[["天马宾馆"]])
    uscc: str | None = Field(default=None, max_length=40, description="统一社会信用代码 (GB 32100); omit for an "
                             "unlicensed business (flagged)", examples=["91110108551385082Q"])
    unit_type: UnitType = Field(default="enterprise", description="单位类型: enterprise 企业, individual_business "
                                "个体工商户, cooperative 合作社, public_institution 事业单位, government 机关, "
                                "social_organisation 社会团体, other", examples=["enterprise"])
    industry_code: str = Field(max_length=10, description="行业 (GB/T 4754-2017 section + division, e.g. I64)",
                               examples=["H61"])
    address_code: str = Field(min_length=6, max_length=40, description="标准地址编码", examples=[ADDRESS_EXAMPLE])
    legal_representative: PartyRef | None = Field(default=None, description="法定代表人/负责人",
                                                  examples=[{"person_id": "P0192f1a2b3c4d5e6"}])
    security_person: PartyRef | None = Field(default=None, description="治安保卫负责人",
                                             examples=[{"name": "王五", "document_type": "id_card",
                                                        "document_number": "11010219840406970X"}])
    phone: str = Field(default="", max_length=30, description="联系电话", examples=["0873-3712345"])
    business_scope: str = Field(default="", max_length=2000, description="经营范围", examples=["住宿服务"])
    opened_on: date | None = Field(default=None, description="开业日期", examples=["2020-05-01"])
    area: float | None = Field(default=None, gt=0, le=10_000_000, description="经营面积 m²", examples=[1200])
    capacity: int | None = Field(default=None, ge=0, le=10_000_000, description="核定容纳人数", examples=[120])
    licences: list[Licence] = Field(default_factory=list, max_length=50, description="证照", examples=[[LICENCE_EXAMPLE]])


class CorrectUnit(Versioned):
    """补录纠错: only the fields given change (codes are checked again)."""

    name: str | None = Field(default=None, min_length=1, max_length=200, examples=["蒙自天马酒店有限公司"])
    aliases: list[Alias] | None = Field(default=None, max_length=20, examples=[["天马酒店"]])
    unit_type: UnitType | None = Field(default=None, examples=["enterprise"])
    industry_code: str | None = Field(default=None, max_length=10, examples=["H61"])
    legal_representative: PartyRef | None = Field(default=None, examples=[{"person_id": "P0192f1a2b3c4d5e6"}])
    security_person: PartyRef | None = Field(default=None, examples=[{"person_id": "P0192f1a2b3c4d5e7"}])
    phone: str | None = Field(default=None, max_length=30, examples=["0873-3712346"])
    business_scope: str | None = Field(default=None, max_length=2000, examples=["住宿服务；餐饮服务"])
    area: float | None = Field(default=None, gt=0, le=10_000_000, examples=[1300])
    capacity: int | None = Field(default=None, ge=0, le=10_000_000, examples=[150])
    reason: str = Field(min_length=1, max_length=500, description="纠错原因", examples=["更名，见营业执照变更"])


class RecordUscc(Versioned):
    """登记/更正统一社会信用代码 (a business that got its licence, or a wrong code)."""

    uscc: str = Field(max_length=40, description="统一社会信用代码", examples=["91110108551385082Q"])
    reason: str = Field(default="", max_length=500, examples=["个体户办理营业执照"])


class ChangeStatus(Versioned):
    """停业, 关闭 or 复业 on a date."""

    on: date = Field(description="日期", examples=["2026-11-01"])
    reason: str = Field(default="", max_length=500, examples=["装修停业"])


class AddLicence(Versioned):
    licence: Licence = Field(examples=[LICENCE_EXAMPLE])


class AddSpecialTrade(Versioned):
    """该单位从事特种/重点行业."""

    trade: str = Field(max_length=40, description="special-trade code (GET /v1/special-trades), e.g. hotel",
                       examples=["hotel"])
    since: date = Field(description="起始日期 (the inspection cycle starts here)", examples=["2026-09-01"])
    licence: Licence | None = Field(default=None, description="该行业许可证",
                                    examples=[{"kind": "特种行业许可证", "number": "滇公特旅字[2026]0001号",
                                               "valid_from": "2026-09-01", "valid_until": "2029-08-31",
                                               "issuer": "蒙自市公安局"}])


class RemoveSpecialTrade(Versioned):
    on: date = Field(examples=["2026-11-11"])
    reason: str = Field(default="", max_length=500, examples=["不再经营住宿"])


class Hire(Versioned):
    """从业人员入职."""

    person_id: PersonId
    position: str = Field(min_length=1, max_length=100, description="岗位/职务", examples=["前台"])
    hired: date = Field(description="入职日期", examples=["2026-01-05"])


class Leave(Versioned):
    left: date = Field(description="离职日期", examples=["2026-04-01"])


class Inspect(Versioned):
    """检查 with, when something must be fixed, a rectification notice and its deadline."""

    inspected_on: date = Field(description="检查日期", examples=["2026-10-03"])
    inspectors: list[Code] = Field(default_factory=list, max_length=20, description="检查人 (default: the caller)",
                                  examples=[["PC-530001", "PC-530002"]])
    findings: str = Field(default="", max_length=4000, description="检查情况", examples=["消防通道堵塞"])
    rectification_required: bool = Field(default=False, description="责令整改", examples=[True])
    rectification_notice: str = Field(default="", max_length=200, description="整改通知书",
                                      examples=["蒙公(文)限改字[2026]17号"])
    rectification_deadline: date | None = Field(default=None, description="整改期限", examples=["2026-10-10"])


class FollowUp(Versioned):
    """复查 a rectification notice."""

    followed_up_on: date = Field(description="复查日期", examples=["2026-10-12"])
    inspector: str | None = Field(default=None, max_length=64, description="复查人 (default: the caller)",
                                  examples=["PC-530001"])
    rectified: bool = Field(description="是否整改到位", examples=[True])
    result: str = Field(default="", max_length=2000, description="复查结果", examples=["已清理消防通道"])


class Relocate(Versioned):
    """迁址: the unit moves to another standard address (checked as at registration); its division follows."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "address_code": NEW_ADDRESS_EXAMPLE, "moved_on": "2026-11-01", "expected_version": 3}]})

    address_code: str = Field(min_length=6, max_length=40, description="新标准地址编码 (known, not retired; a merged "
                              "code's survivor is used)", examples=[NEW_ADDRESS_EXAMPLE])
    moved_on: date = Field(description="迁址日期 (not in the future)", examples=["2026-11-01"])


class RenameUnit(Versioned):
    """名称变更: the unit trades under a new name; the old one is kept as a former name (曾用名)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "name": "蒙自天马酒店有限公司", "renamed_on": "2026-11-01", "reason": "营业执照名称变更", "expected_version": 3}]})

    name: str = Field(min_length=1, max_length=200, description="新单位名称", examples=["蒙自天马酒店有限公司"])
    renamed_on: date = Field(description="名称变更日期 (not in the future, not before the unit opened or was last "
                             "renamed)", examples=["2026-11-01"])
    reason: str = Field(default="", max_length=500, description="变更原因/依据", examples=["营业执照名称变更"])


class ChangeLegalRepresentative(Versioned):
    """法定代表人变更: another person represents the unit; the former one is kept with the day their term ended."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "legal_representative": {"name": "李四", "document_type": "id_card", "document_number": "11010519491231002X"},
        "changed_on": "2026-11-01", "reason": "股东会决议变更法定代表人", "expected_version": 3}]})

    legal_representative: PartyRef = Field(description="新法定代表人/负责人: a registered person (person_id) or a "
                                           "name with its document", examples=[{"person_id": "P0192f1a2b3c4d5e7"}])
    changed_on: date = Field(description="变更日期 (not in the future, not before the last change)",
                             examples=["2026-11-01"])
    reason: str = Field(default="", max_length=500, description="变更原因/依据", examples=["股东会决议变更法定代表人"])


class RequestKeyUnit(Versioned):
    """重点单位列管申请 by police of the unit's jurisdiction; a supervisor of that jurisdiction decides."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "reason": "留宿洗浴场所，人员流动大，列为治安保卫重点单位", "expected_version": 3}]})

    reason: str = Field(min_length=1, max_length=1000, description="列管理由",
                        examples=["留宿洗浴场所，人员流动大，列为治安保卫重点单位"])


class RequestKeyLocation(Versioned):
    """重点部位列管申请: a named part of the unit, its own entry with its own id and decision."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "name": "财务室", "description": "三楼东侧，装有防盗门、报警器和监控", "reason": "存放现金和票据",
        "expected_version": 3}]})

    name: str = Field(min_length=1, max_length=100, description="部位名称, e.g. 财务室, 危化品仓库", examples=["财务室"])
    description: str = Field(default="", max_length=1000, description="位置与防范措施",
                             examples=["三楼东侧，装有防盗门、报警器和监控"])
    reason: str = Field(min_length=1, max_length=1000, description="列管理由", examples=["存放现金和票据"])


class ReleaseKeyListing(Versioned):
    """撤管申请 of a listed key unit or key location by police of the unit's jurisdiction; a supervisor decides."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "已停止留宿经营，不再列为重点单位",
                                                               "expected_version": 5}]})

    reason: str = Field(min_length=1, max_length=1000, description="撤管理由", examples=["已停止留宿经营，不再列为重点单位"])


class DecideKeyListing(Versioned):
    """审批 the pending key-unit or key-location request (列管 or 撤管): approve (remark optional) or reject (remark
    required)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"remark": "同意列管", "expected_version": 4}]})

    remark: str = Field(default="", max_length=1000, description="审批意见 (the reasons, required to reject)",
                        examples=["同意列管"])
