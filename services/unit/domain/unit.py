"""The unit aggregate (实有单位): identity, status, licences, special trades, employees, inspections. Pure.

State is the published fold of the stream (each event's ``evolve`` in contracts/unit.py, folded by RecordAggregate),
the same record the read model and the audit trail show; what is accepted but worth a look goes to ``warnings``.
Identity rules (USCC, GB/T 4754 industry) come from contracts/, so an agency validating before it publishes
applies exactly the rules the service applies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, TypeVar

from contracts import industry, special_trades, uscc
from contracts.code_rules import CodeRuleError
from contracts.parties import PartyRef
from contracts.unit import (
    EmployeeHired, EmployeeLeft, KeyLocationListed, KeyLocationListingRejected, KeyLocationListingRequested,
    KeyLocationReleased, KeyLocationReleaseRejected, KeyLocationReleaseRequested, KeyUnitListed,
    KeyUnitListingRejected, KeyUnitListingRequested, KeyUnitReleased, KeyUnitReleaseRejected, KeyUnitReleaseRequested,
    LegalRepresentativeChanged, Licence,
    LicenceAdded, RectificationFollowedUp, SpecialTradeAdded, SpecialTradeRemoved, UnitClosed, UnitDetailsCorrected,
    UnitInspected, UnitRegistered, UnitRelocated, UnitRenamed, UnitReopened, UnitSuspended, UsccRecorded,
)
from services.kernel.eventsourcing.aggregate import RecordAggregate
from services.kernel.base.errors import DomainRuleViolation, NotFound, StateConflict, not_after
from services.unit.domain.key_listings import KeyListings

#: USCC kind (characters 1–2) → the unit type it implies; a different declared type is a warning
USCC_KIND_TYPES = {"91": "enterprise", "92": "individual_business", "93": "cooperative", "11": "government",
                   "12": "public_institution", "51": "social_organisation"}


T = TypeVar("T")


def unit_stream(unit_id: str) -> str:
    return f"unit-{unit_id}"


def checked(parse: Callable[[str], T], text: str, field_name: str) -> T:
    """A published code validator's answer, or its refusal as a 422 naming ``field_name`` and the rule."""
    try:
        return parse(text)
    except CodeRuleError as error:
        raise DomainRuleViolation(field_name, error.rule, error.message, error.message_zh) from None


def check_licence(licence: Licence, field_name: str) -> None:
    if licence.valid_from and licence.valid_until and licence.valid_until < licence.valid_from:
        raise DomainRuleViolation(f"{field_name}.valid_until", "licence.end_before_start",
                                  f"licence ends {licence.valid_until}, before it starts {licence.valid_from}",
                                  "证照有效期止不能早于有效期起")


@dataclass(frozen=True)
class UnitIdentity:
    """登记 as the collector states it (address facts come from the address replica, merges followed)."""

    name: str
    unit_type: str
    industry_code: str
    address_code: str
    address_name: str | None
    division_code: str
    uscc: str | None = None
    aliases: list[str] = field(default_factory=list)
    legal_representative: PartyRef | None = None
    security_person: PartyRef | None = None
    phone: str = ""
    business_scope: str = ""
    opened_on: date | None = None
    area: float | None = None
    capacity: int | None = None
    licences: list[Licence] = field(default_factory=list)


class Unit(KeyListings, RecordAggregate):
    stream_type = "Unit"
    events = (UnitRegistered, UnitDetailsCorrected, UsccRecorded, UnitSuspended, UnitClosed, UnitReopened,
              LicenceAdded, SpecialTradeAdded, SpecialTradeRemoved, EmployeeHired, EmployeeLeft, UnitInspected,
              RectificationFollowedUp, UnitRelocated, UnitRenamed, LegalRepresentativeChanged, KeyUnitListingRequested,
              KeyUnitListed, KeyUnitListingRejected, KeyLocationListingRequested, KeyLocationListed,
              KeyLocationListingRejected, KeyUnitReleaseRequested, KeyUnitReleased, KeyUnitReleaseRejected,
              KeyLocationReleaseRequested, KeyLocationReleased, KeyLocationReleaseRejected)

    def __init__(self, stream_id: str) -> None:
        super().__init__(stream_id)
        self.warnings: list[str] = []  #: accepted, but worth a look (answered with the command)

    @property
    def unit_id(self) -> str:
        return self.state["unit_id"]

    @property
    def status(self) -> str:
        return self.state["status"]

    # registration --------------------------------------------------------------------------------------
    @classmethod
    def register(cls, unit_id: str, identity: UnitIdentity, today: date) -> "Unit":
        """The new unit, with its warnings (no USCC, the embedded organisation code's check, type vs USCC)."""
        name = identity.name.strip()
        if not name:
            raise DomainRuleViolation("name", "required", "name must not be empty", "单位名称不能为空")
        warnings: list[str] = []
        code = None
        if identity.uscc and identity.uscc.strip():
            parsed = checked(uscc.parse, identity.uscc, "uscc")
            code = parsed.code
            warnings.extend(parsed.warnings)
            implied = USCC_KIND_TYPES.get(code[:2])
            if implied and implied != identity.unit_type:
                warnings.append(f"unit.type_vs_uscc: the USCC says {parsed.kind_name}, the unit type is "
                                f"{identity.unit_type} (单位类型与统一社会信用代码不符)")
        else:
            warnings.append("unit.no_uscc: registered without a unified social credit code (无统一社会信用代码)")
        sector = checked(industry.parse, identity.industry_code, "industry_code")
        not_after("opened_on", identity.opened_on, today, "开业日期")
        for index, licence in enumerate(identity.licences):
            check_licence(licence, f"licences.{index}")
        unit = cls(unit_stream(unit_id))
        unit.record(UnitRegistered(
            unit_id=unit_id, name=name, aliases=[a.strip() for a in identity.aliases if a.strip()], uscc=code,
            unit_type=identity.unit_type, industry_code=sector.code, address_code=identity.address_code,
            address_name=identity.address_name, division_code=identity.division_code,
            legal_representative=identity.legal_representative, security_person=identity.security_person,
            phone=identity.phone, business_scope=identity.business_scope, opened_on=identity.opened_on,
            area=identity.area, capacity=identity.capacity, licences=identity.licences))
        unit.warnings = warnings
        return unit

    # corrections ---------------------------------------------------------------------------------------
    def correct(self, reason: str, **changes: Any) -> None:
        """补录纠错 of the unit's facts: only the fields given change; names and codes are checked again."""
        changes = {key: value for key, value in changes.items() if value is not None}
        if not changes:
            raise DomainRuleViolation("reason", "correction.empty", "name at least one field to correct",
                                      "至少填写一项纠错内容")
        if "name" in changes:
            changes["name"] = changes["name"].strip()
            if not changes["name"]:
                raise DomainRuleViolation("name", "required", "name must not be empty", "单位名称不能为空")
        if "industry_code" in changes:
            changes["industry_code"] = checked(industry.parse, changes["industry_code"], "industry_code").code
        if "aliases" in changes:
            changes["aliases"] = [alias.strip() for alias in changes["aliases"] if alias.strip()]
        self.record(UnitDetailsCorrected(unit_id=self.unit_id, reason=reason, **changes))

    def record_uscc(self, text: str, reason: str = "") -> None:
        """Record (or correct) the unit's USCC, keeping the code's warnings. The caller holds its claim."""
        parsed = checked(uscc.parse, text, "uscc")
        if parsed.code == self.state.get("uscc"):
            raise DomainRuleViolation("uscc", "uscc.unchanged", "the unit already has this code", "单位已是该代码")
        self.record(UsccRecorded(unit_id=self.unit_id, uscc=parsed.code, previous=self.state.get("uscc"),
                                 reason=reason))
        self.warnings.extend(parsed.warnings)

    # status: open → suspended → closed, reopen ---------------------------------------------------------
    def suspend(self, on: date, today: date, reason: str = "") -> None:
        self._status_date(on, today)
        if self.status != "open":
            raise StateConflict("unit.not_open", f"only an open unit can be suspended; it is {self.status}",
                                f"单位当前为{_STATUS_ZH[self.status]}，不能停业")
        self.record(UnitSuspended(unit_id=self.unit_id, on=on, reason=reason))

    def close(self, on: date, today: date, reason: str = "") -> None:
        self._status_date(on, today)
        if self.status == "closed":
            raise StateConflict("unit.closed", f"unit {self.unit_id} is already closed", "单位已关闭")
        self.record(UnitClosed(unit_id=self.unit_id, on=on, reason=reason))

    def reopen(self, on: date, today: date, reason: str = "") -> None:
        self._status_date(on, today)
        if self.status == "open":
            raise StateConflict("unit.open", f"unit {self.unit_id} is open", "单位正在营业，无需复业")
        self.record(UnitReopened(unit_id=self.unit_id, on=on, reason=reason))

    def _status_date(self, on: date, today: date) -> None:
        not_after("on", on, today, "日期")
        since = self.state.get("status_since") or self.state.get("opened_on")
        if since and on < date.fromisoformat(since):
            raise DomainRuleViolation("on", "status.before_previous", f"{on} is before the last change {since}",
                                      f"日期早于上次状态变更 {since}")

    # name and legal representative (名称变更, 法定代表人变更) ---------------------------------------------------
    def rename(self, name: str, renamed_on: date, today: date, reason: str = "") -> None:
        """名称变更: the old name stays on the record as a former name (曾用名), with the day it ended."""
        self._require_not_closed()
        name = name.strip()
        if not name:
            raise DomainRuleViolation("name", "required", "name must not be empty", "单位名称不能为空")
        if name == self.state["name"]:
            raise DomainRuleViolation("name", "unit.name_unchanged", f"the unit is already named {name}",
                                      "新名称与现名称相同")
        self._changed_on("renamed_on", renamed_on, today, "renamed_on", "名称变更日期")
        self.record(UnitRenamed(unit_id=self.unit_id, name=name, previous_name=self.state["name"],
                                renamed_on=renamed_on, reason=reason.strip()))

    def change_legal_representative(self, representative: PartyRef, changed_on: date, today: date,
                                    reason: str = "") -> None:
        """法定代表人变更: the former representative stays on the record with the day their term ended."""
        self._require_not_closed()
        previous = self.state.get("legal_representative")
        if previous is not None and PartyRef.model_validate(previous) == representative:
            raise DomainRuleViolation("legal_representative", "unit.legal_representative_unchanged",
                                      "this is already the unit's legal representative", "新法定代表人与现法定代表人相同")
        self._changed_on("changed_on", changed_on, today, "legal_representative_since", "法定代表人变更日期")
        self.record(LegalRepresentativeChanged(
            unit_id=self.unit_id, legal_representative=representative,
            previous=PartyRef.model_validate(previous) if previous is not None else None, changed_on=changed_on,
            reason=reason.strip()))

    def _changed_on(self, field_name: str, day: date, today: date, last_key: str, zh: str) -> None:
        """A change's date: not in the future, not before the unit opened nor before the last change of its kind."""
        not_after(field_name, day, today, zh)
        since = self.state.get(last_key) or self.state.get("opened_on")
        if since and day < date.fromisoformat(since):
            raise DomainRuleViolation(field_name, "unit.changed_before_previous", f"{day} is before {since} (opened "
                                      "or last changed)", f"{zh}早于开业或上次变更日期 {since}")

    # relocation (迁址) ----------------------------------------------------------------------------------
    def relocate(self, address_code: str, address_name: str | None, division_code: str, moved_on: date,
                 today: date) -> None:
        """The unit moves to another standard address (already checked against the address replica); its
        division follows the address, everything else (employees, trades, inspections) stays with the unit."""
        self._require_not_closed()
        not_after("moved_on", moved_on, today, "迁址日期")
        if address_code == self.state["address_code"]:
            raise DomainRuleViolation("address_code", "unit.same_address", f"the unit is already at {address_code}",
                                      "单位已在该标准地址，无需迁址")
        since = self.state.get("relocated_on") or self.state.get("opened_on")
        if since and moved_on < date.fromisoformat(since):
            raise DomainRuleViolation("moved_on", "unit.moved_before_previous", f"{moved_on} is before {since} (opened "
                                      "or last moved)", f"迁址日期早于开业或上次迁址日期 {since}")
        self.record(UnitRelocated(unit_id=self.unit_id, address_code=address_code, address_name=address_name,
                                  division_code=division_code, previous_address_code=self.state["address_code"],
                                  previous_division_code=self.state["division_code"], moved_on=moved_on))

    # licences and special trades -----------------------------------------------------------------------
    def add_licence(self, licence: Licence) -> None:
        self._require_not_closed()
        check_licence(licence, "licence")
        self.record(LicenceAdded(unit_id=self.unit_id, licence=licence))

    def add_special_trade(self, trade: str, since: date, today: date, licence: Licence | None = None) -> None:
        self._require_not_closed()
        if special_trades.get(trade) is None:
            raise DomainRuleViolation("trade", "special_trade.unknown", f"{trade!r} is not a special or key trade "
                                      f"(known: {', '.join(special_trades.codes())})", f"“{trade}”不是特种/重点行业代码")
        not_after("since", since, today, "起始日期")
        if licence is not None:
            check_licence(licence, "licence")
        self.record(SpecialTradeAdded(unit_id=self.unit_id, trade=trade, licence=licence, since=since))

    def remove_special_trade(self, trade: str, on: date, today: date, reason: str = "") -> None:
        if not any(t["trade"] == trade for t in self.state.get("special_trades", [])):
            raise NotFound("special trade", trade)
        not_after("on", on, today, "日期")
        self.record(SpecialTradeRemoved(unit_id=self.unit_id, trade=trade, on=on, reason=reason))

    # employees -----------------------------------------------------------------------------------------
    def hire(self, person_id: str, position: str, hired: date, today: date) -> None:
        self._require_not_closed()
        not_after("hired", hired, today, "入职日期")
        if not position.strip():
            raise DomainRuleViolation("position", "required", "position must not be empty", "岗位不能为空")
        if self.employment(person_id) is not None:
            raise StateConflict("employee.already_employed", f"person {person_id} already works here",
                                f"人员 {person_id} 已是本单位从业人员")
        self.record(EmployeeHired(unit_id=self.unit_id, person_id=person_id, position=position.strip(), hired=hired))

    def leave(self, person_id: str, left: date, today: date) -> None:
        employment = self.employment(person_id)
        if employment is None:
            raise NotFound("employee", person_id)
        not_after("left", left, today, "离职日期")
        if left < date.fromisoformat(employment["hired"]):
            raise DomainRuleViolation("left", "employee.left_before_hired", f"left {left}, before hired "
                                      f"{employment['hired']}", f"离职日期早于入职日期 {employment['hired']}")
        self.record(EmployeeLeft(unit_id=self.unit_id, person_id=person_id, left=left))

    def employment(self, person_id: str) -> dict[str, Any] | None:
        """The person's current employment here, if any."""
        return next((e for e in self.state.get("employees", []) if e["person_id"] == person_id and not e["left"]),
                    None)

    # inspections ---------------------------------------------------------------------------------------
    def inspect(self, inspection_id: str, inspected_on: date, inspectors: list[str], today: date, findings: str = "",
                rectification_required: bool = False, rectification_notice: str = "",
                rectification_deadline: date | None = None) -> None:
        not_after("inspected_on", inspected_on, today, "检查日期")
        inspectors = [name.strip() for name in inspectors if name.strip()]
        if not inspectors:
            raise DomainRuleViolation("inspectors", "required", "name at least one inspector", "至少填写一名检查人")
        if rectification_required and rectification_deadline is None:
            raise DomainRuleViolation("rectification_deadline", "rectification.deadline_required",
                                      "a rectification notice needs a deadline", "责令整改须规定整改期限")
        if rectification_deadline is not None and rectification_deadline < inspected_on:
            raise DomainRuleViolation("rectification_deadline", "rectification.deadline_before_inspection",
                                      "the deadline is before the inspection", "整改期限早于检查日期")
        self.record(UnitInspected(
            unit_id=self.unit_id, inspection_id=inspection_id, inspected_on=inspected_on, inspectors=inspectors,
            findings=findings, rectification_required=rectification_required,
            rectification_notice=rectification_notice,
            rectification_deadline=rectification_deadline if rectification_required else None))

    def follow_up(self, inspection_id: str, followed_up_on: date, inspector: str, rectified: bool, today: date,
                  result: str = "") -> None:
        inspection = next((i for i in self.state.get("inspections", []) if i["inspection_id"] == inspection_id), None)
        if inspection is None:
            raise NotFound("inspection", inspection_id)
        if not inspection["rectification_required"]:
            raise StateConflict("rectification.not_required", "this inspection required no rectification",
                                "该次检查未责令整改")
        if inspection.get("rectified"):
            raise StateConflict("rectification.done", "the rectification was already confirmed", "已确认整改到位")
        not_after("followed_up_on", followed_up_on, today, "复查日期")
        if followed_up_on < date.fromisoformat(inspection["inspected_on"]):
            raise DomainRuleViolation("followed_up_on", "rectification.follow_up_before_inspection",
                                      "the follow-up is before the inspection", "复查日期早于检查日期")
        self.record(RectificationFollowedUp(unit_id=self.unit_id, inspection_id=inspection_id,
                                            followed_up_on=followed_up_on, inspector=inspector, rectified=rectified,
                                            result=result))

    def _require_not_closed(self) -> None:
        if self.status == "closed":
            raise StateConflict("unit.closed", f"unit {self.unit_id} is closed", "单位已关闭")


_STATUS_ZH = {"open": "营业", "suspended": "停业", "closed": "关闭"}
