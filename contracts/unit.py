"""Actual-unit (实有单位) events: the facts the unit service publishes on ybss.unit.events.

A unit (company, shop, institution, self-employed business) hangs on one standard address. Its stream
holds its identity and status, its special trades with licences, its employees (从业人员) and its
inspections with their rectification notices. Each event says how it changes the record's state.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.events import DomainEvent
from contracts.parties import PartyRef

UnitType = Literal["enterprise", "individual_business", "cooperative", "public_institution", "government",
                   "social_organisation", "other"]
#: 单位类型: 企业, 个体工商户, 农民专业合作社, 事业单位, 机关, 社会团体, 其他
UNIT_TYPES: dict[str, str] = {"enterprise": "企业", "individual_business": "个体工商户", "cooperative": "农民专业合作社",
                              "public_institution": "事业单位", "government": "机关", "social_organisation": "社会团体",
                              "other": "其他"}


class Licence(BaseModel):
    """证照: a licence with its number and validity (营业执照, 特种行业许可证 ...)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str = Field(max_length=60, description="证照名称, e.g. 营业执照, 特种行业许可证", examples=["营业执照"])
    number: str = Field(min_length=1, max_length=60, description="证照编号", examples=["532503600123456"])
    valid_from: date | None = Field(default=None, description="有效期起")
    valid_until: date | None = Field(default=None, description="有效期止 (none = long-term 长期)")
    issuer: str = Field(default="", max_length=100, description="发证机关")


class UnitRegistered(DomainEvent):
    """实有单位 registered at a standard address."""

    unit_id: str = Field(description="unit id (单位编号)")
    name: str = Field(description="单位名称")
    aliases: list[str] = Field(default_factory=list, description="别名/招牌名")
    uscc: str | None = Field(default=None, description="统一社会信用代码 (GB 32100); none for an unlicensed business")
    unit_type: UnitType = Field(description="单位类型")
    industry_code: str = Field(description="行业 (GB/T 4754-2017), e.g. I64")
    address_code: str = Field(description="standard address code (标准地址编码)")
    address_name: str | None = Field(default=None, description="standard full name at registration")
    division_code: str = Field(description="township the address lies in: the owning jurisdiction")
    legal_representative: PartyRef | None = Field(default=None, description="法定代表人/负责人")
    security_person: PartyRef | None = Field(default=None, description="治安保卫负责人 (治安责任人)")
    phone: str = Field(default="", description="联系电话")
    business_scope: str = Field(default="", description="经营范围")
    opened_on: date | None = Field(default=None, description="开业日期")
    area: float | None = Field(default=None, description="经营面积 m²")
    capacity: int | None = Field(default=None, description="容纳人数 (核定)")
    licences: list[Licence] = Field(default_factory=list, description="证照")

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        return {**state, **self.model_dump(mode="json"), "status": "open"}


class UnitDetailsCorrected(DomainEvent):
    """补录纠错 of the unit's facts; fields left out are unchanged, the old values stay in the stream."""

    unit_id: str
    name: str | None = Field(default=None, description="单位名称")
    aliases: list[str] | None = Field(default=None, description="别名 (the whole new list)")
    unit_type: UnitType | None = Field(default=None, description="单位类型")
    industry_code: str | None = Field(default=None, description="行业 (GB/T 4754-2017)")
    legal_representative: PartyRef | None = Field(default=None, description="法定代表人/负责人")
    security_person: PartyRef | None = Field(default=None, description="治安保卫负责人")
    phone: str | None = Field(default=None, description="联系电话")
    business_scope: str | None = Field(default=None, description="经营范围")
    area: float | None = Field(default=None, description="经营面积 m²")
    capacity: int | None = Field(default=None, description="核定容纳人数")
    reason: str = Field(default="", description="纠错原因")

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        return {**state, **self.model_dump(mode="json", exclude={"unit_id", "reason"}, exclude_none=True)}


class UsccRecorded(DomainEvent):
    """统一社会信用代码 recorded for a unit registered without one (a business that got its licence) or
    corrected; the unit is found by the new code from now on."""

    unit_id: str
    uscc: str = Field(description="统一社会信用代码 (GB 32100), normalised")
    previous: str | None = Field(default=None, description="the code it replaces, if any")
    reason: str = ""

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        return {**state, "uscc": self.uscc}


class UnitSuspended(DomainEvent):
    """停业 (歇业): the unit stops trading for now."""

    unit_id: str
    on: date = Field(description="停业日期")
    reason: str = ""

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        return {**state, "status": "suspended", "status_since": self.on.isoformat(), "status_reason": self.reason}


class UnitClosed(DomainEvent):
    """注销/关闭 with the date."""

    unit_id: str
    on: date = Field(description="关闭日期")
    reason: str = ""

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        return {**state, "status": "closed", "status_since": self.on.isoformat(), "status_reason": self.reason,
                "closed_on": self.on.isoformat()}


class UnitReopened(DomainEvent):
    """复业: a suspended or closed unit trades again."""

    unit_id: str
    on: date = Field(description="复业日期")
    reason: str = ""

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        return {**state, "status": "open", "status_since": self.on.isoformat(), "status_reason": self.reason,
                "closed_on": None}


class LicenceAdded(DomainEvent):
    """证照登记 (or renewal: a licence of the same kind and number replaces the old one)."""

    unit_id: str
    licence: Licence

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        kept = [item for item in state.get("licences", [])
                if (item["kind"], item["number"]) != (self.licence.kind, self.licence.number)]
        return {**state, "licences": [*kept, self.licence.model_dump(mode="json")]}


class SpecialTradeAdded(DomainEvent):
    """The unit carries a special / key trade (特种行业/重点行业) with its licence."""

    unit_id: str
    trade: str = Field(description="special-trade code from contracts.special_trades, e.g. hotel")
    licence: Licence | None = Field(default=None, description="该行业许可证")
    since: date = Field(description="从事该行业起始日期 (the inspection cycle starts here)")

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        trades = [t for t in state.get("special_trades", []) if t["trade"] != self.trade]
        entry = {"trade": self.trade, "licence": self.licence.model_dump(mode="json") if self.licence else None,
                 "since": self.since.isoformat()}
        return {**state, "special_trades": [*trades, entry]}


class SpecialTradeRemoved(DomainEvent):
    """The unit no longer carries the trade."""

    unit_id: str
    trade: str
    on: date
    reason: str = ""

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        return {**state, "special_trades": [t for t in state.get("special_trades", []) if t["trade"] != self.trade]}


class EmployeeHired(DomainEvent):
    """从业人员入职."""

    unit_id: str
    person_id: str = Field(description="实有人口 person id")
    position: str = Field(description="岗位/职务")
    hired: date = Field(description="入职日期")

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        employee = {"person_id": self.person_id, "position": self.position, "hired": self.hired.isoformat(),
                    "left": None}
        return {**state, "employees": [*state.get("employees", []), employee]}


class EmployeeLeft(DomainEvent):
    """从业人员离职."""

    unit_id: str
    person_id: str
    left: date = Field(description="离职日期")

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        employees = [({**e, "left": self.left.isoformat()}
                      if e["person_id"] == self.person_id and e.get("left") is None else e)
                     for e in state.get("employees", [])]
        return {**state, "employees": employees}


class UnitInspected(DomainEvent):
    """检查: findings, and a rectification notice (整改通知) with a deadline when something must be fixed."""

    unit_id: str
    inspection_id: str
    inspected_on: date = Field(description="检查日期")
    inspectors: list[str] = Field(description="检查人")
    findings: str = Field(default="", description="检查情况")
    rectification_required: bool = Field(default=False, description="是否责令整改")
    rectification_notice: str = Field(default="", description="整改通知书 (number or text)")
    rectification_deadline: date | None = Field(default=None, description="整改期限")

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        inspection = {**self.model_dump(mode="json", exclude={"unit_id"}), "follow_ups": [], "rectified": None}
        return {**state, "inspections": [*state.get("inspections", []), inspection],
                "last_inspected_on": self.inspected_on.isoformat()}


class RectificationFollowedUp(DomainEvent):
    """复查: the result of following up a rectification notice."""

    unit_id: str
    inspection_id: str
    followed_up_on: date = Field(description="复查日期")
    inspector: str = Field(description="复查人")
    rectified: bool = Field(description="是否整改到位")
    result: str = Field(default="", description="复查结果")

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        follow_up = self.model_dump(mode="json", exclude={"unit_id", "inspection_id"})
        inspections = [({**i, "follow_ups": [*i.get("follow_ups", []), follow_up], "rectified": self.rectified}
                        if i["inspection_id"] == self.inspection_id else i) for i in state.get("inspections", [])]
        return {**state, "inspections": inspections}


class UnitRelocated(DomainEvent):
    """迁址: the unit moves to another standard address; its jurisdiction (division) follows the new address, its
    employees, licences, trades and inspection history stay with it."""

    unit_id: str
    address_code: str = Field(description="新标准地址编码 (a merged code's survivor)")
    address_name: str | None = Field(default=None, description="新地址全称 at the move")
    division_code: str = Field(description="township of the new address: the owning jurisdiction from now on")
    previous_address_code: str = Field(description="原标准地址编码")
    previous_division_code: str = Field(description="原归属辖区")
    moved_on: date = Field(description="迁址日期")

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        return {**state, "address_code": self.address_code, "address_name": self.address_name,
                "division_code": self.division_code, "relocated_on": self.moved_on.isoformat()}


class UnitRenamed(DomainEvent):
    """名称变更: the unit trades under a new name from ``renamed_on`` (营业执照变更); the old name is kept as a
    former name (曾用名) with the day it ended, so the unit is still found by it."""

    unit_id: str
    name: str = Field(description="新单位名称")
    previous_name: str = Field(description="原单位名称 (曾用名 from now on)")
    renamed_on: date = Field(description="名称变更日期")
    reason: str = Field(default="", description="变更原因/依据, e.g. 营业执照变更")

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        former = {"name": self.previous_name, "until": self.renamed_on.isoformat()}
        return {**state, "name": self.name, "renamed_on": self.renamed_on.isoformat(),
                "former_names": [*state.get("former_names", []), former]}


class LegalRepresentativeChanged(DomainEvent):
    """法定代表人变更: another person represents the unit from ``changed_on``; the former one is kept with the day
    their term ended (历任法定代表人)."""

    unit_id: str
    legal_representative: PartyRef = Field(description="新法定代表人/负责人")
    previous: PartyRef | None = Field(default=None, description="原法定代表人 (none when none was recorded)")
    changed_on: date = Field(description="变更日期")
    reason: str = Field(default="", description="变更原因/依据")

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        former = list(state.get("former_legal_representatives", []))
        if self.previous is not None:
            former.append({**self.previous.model_dump(mode="json"), "until": self.changed_on.isoformat()})
        return {**state, "legal_representative": self.legal_representative.model_dump(mode="json"),
                "legal_representative_since": self.changed_on.isoformat(), "former_legal_representatives": former}


from contracts.unit_listings import (  # noqa: E402,F401 - 重点单位/重点部位 events, published on the unit's stream
    KeyLocationListed, KeyLocationListingRejected, KeyLocationListingRequested, KeyLocationReleased,
    KeyLocationReleaseRejected, KeyLocationReleaseRequested, KeyUnitListed, KeyUnitListingRejected,
    KeyUnitListingRequested, KeyUnitReleased, KeyUnitReleaseRejected, KeyUnitReleaseRequested,
)
