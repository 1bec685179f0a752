"""The house aggregate (实有房屋): one house at one standard address, its rentals, tenants and checks. Pure.

State is the published fold of the stream (each event's ``evolve``, declared in contracts/house.py, folded by
RecordAggregate), so the aggregate decides on exactly what the read model and the audit trail show.
Command methods check the rules and record events; a house let while its use says otherwise is reported as a
warning, never refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from contracts.house import (
    HOUSE_USES, HouseChecked, HouseDemolished, HouseDetailsCorrected, HouseKeyStatusApproved, HouseKeyStatusRejected,
    HouseKeyStatusRequested, HouseKeyStatusSet, HouseOwnerChanged, HouseRegistered, HouseUseChanged, RentalEnded,
    RentalLessorReplaced, RentalSecurityPersonReplaced, RentalStarted, RentalTermsChanged, TenantMovedIn,
    TenantMovedOut, let_against_its_use,
)
from contracts.parties import PartyRef
from services.house.domain.key_status import KeyStatusRequests, require_key_reason
from services.house.domain.rental_changes import RentalChanges
from services.kernel.eventsourcing.aggregate import RecordAggregate
from services.kernel.base.errors import DomainRuleViolation, NotFound, StateConflict, not_after


def house_stream(house_id: str) -> str:
    return f"house-{house_id}"


@dataclass(frozen=True)
class AddressFacts:
    """What the address replica told us about the address the house hangs on (merges already followed)."""

    code: str
    kind: str
    full_name: str | None
    division_code: str


@dataclass(frozen=True)
class RentalTerms:
    """出租登记 as the collector states it."""

    lessor: PartyRef
    lessor_role: str
    rooms_let: int
    start: date
    security_person: PartyRef
    area_let: float | None = None
    monthly_rent: float | None = None
    end: date | None = None
    responsibility_letter_signed: date | None = None


class House(RentalChanges, KeyStatusRequests, RecordAggregate):
    stream_type = "House"
    events = (HouseRegistered, HouseDetailsCorrected, HouseUseChanged, HouseOwnerChanged, HouseKeyStatusSet,
              RentalStarted, TenantMovedIn, TenantMovedOut, RentalEnded, HouseChecked, HouseDemolished,
              RentalTermsChanged, RentalLessorReplaced, RentalSecurityPersonReplaced, HouseKeyStatusRequested,
              HouseKeyStatusApproved, HouseKeyStatusRejected)

    @property
    def house_id(self) -> str:
        return self.state["house_id"]

    # registration and record fields -------------------------------------------------------------------
    @classmethod
    def register(cls, house_id: str, address: AddressFacts, property_nature: str, use: str,
                 area: float | None = None, rooms: int | None = None, owner: PartyRef | None = None,
                 management_level: str = "normal", key_house: bool = False, key_reason: str = "") -> "House":
        require_key_reason(key_house, key_reason)
        house = cls(house_stream(house_id))
        house.record(HouseRegistered(
            house_id=house_id, address_code=address.code, address_name=address.full_name, address_kind=address.kind,
            division_code=address.division_code, property_nature=property_nature, use=use, area=area, rooms=rooms,
            owner=owner, management_level=management_level, key_house=key_house, key_reason=key_reason.strip()))
        return house

    def correct(self, reason: str, property_nature: str | None = None, area: float | None = None,
                rooms: int | None = None) -> None:
        """补录纠错: nature, area or rooms; the rooms let must still fit in the house."""
        if property_nature is None and area is None and rooms is None:
            raise DomainRuleViolation("reason", "correction.empty", "name at least one field to correct",
                                      "至少填写一项纠错内容")
        let = sum(r["rooms_let"] for r in self.active_rentals())
        if rooms is not None and rooms < let:
            raise DomainRuleViolation("rooms", "house.rooms_below_let", f"{let} rooms are let; the house cannot have "
                                      f"{rooms}", f"已出租 {let} 间，房间数不能少于此数")
        self.record(HouseDetailsCorrected(house_id=self.house_id, property_nature=property_nature, area=area,
                                          rooms=rooms, reason=reason))

    def change_use(self, use: str, reason: str = "") -> None:
        if use == self.state["use"]:
            raise DomainRuleViolation("use", "house.use_unchanged", f"the house's use is already {use}",
                                      f"房屋用途已是{HOUSE_USES[use]}")
        self.record(HouseUseChanged(house_id=self.house_id, use=use, reason=reason))

    def change_owner(self, owner: PartyRef | None, reason: str = "") -> None:
        self.record(HouseOwnerChanged(house_id=self.house_id, owner=owner, reason=reason))

    def set_key_status(self, management_level: str, key_house: bool, key_reason: str = "") -> None:
        """A supervisor's direct setting (no request): the workflow by request and approval is key_status.py."""
        require_key_reason(key_house, key_reason)
        self.record(HouseKeyStatusSet(house_id=self.house_id, management_level=management_level,
                                      key_house=key_house, key_reason=key_reason.strip()))

    # rentals -------------------------------------------------------------------------------------------
    def start_rental(self, rental_id: str, terms: RentalTerms, today: date) -> list[dict[str, str]]:
        """Register a rental; answers the logic errors it creates (reported, not refused)."""
        self._require_standing("rental")
        if terms.end is not None and terms.end < terms.start:
            raise DomainRuleViolation("end", "rental.end_before_start", f"end {terms.end} is before start {terms.start}",
                                      "租赁截止日期不能早于起始日期")
        not_after("responsibility_letter_signed", terms.responsibility_letter_signed, today, "治安责任书签订日期")
        rooms, let = self.state.get("rooms"), sum(r["rooms_let"] for r in self.active_rentals())
        if rooms is not None and let + terms.rooms_let > rooms:
            raise DomainRuleViolation("rooms_let", "rental.rooms_exceed_house",
                                      f"{terms.rooms_let} rooms let, but the house has {rooms} and {let} are let already",
                                      f"出租间数 {terms.rooms_let} 超过房屋房间数 {rooms}（已出租 {let} 间）")
        area = self.state.get("area")
        if area is not None and terms.area_let is not None and terms.area_let > area:
            raise DomainRuleViolation("area_let", "rental.area_exceeds_house",
                                      f"area let {terms.area_let} m² exceeds the house's {area} m²",
                                      f"出租面积 {terms.area_let}㎡ 超过房屋面积 {area}㎡")
        self.record(RentalStarted(
            house_id=self.house_id, rental_id=rental_id, lessor=terms.lessor, lessor_role=terms.lessor_role,
            rooms_let=terms.rooms_let, area_let=terms.area_let, monthly_rent=terms.monthly_rent, start=terms.start,
            end=terms.end, security_person=terms.security_person,
            responsibility_letter_signed=terms.responsibility_letter_signed))
        return self.logic_errors()

    def move_in(self, rental_id: str, person_id: str, moved_in: date, today: date) -> list[dict[str, str]]:
        self._require_standing("tenant")
        rental = self._active_rental(rental_id)
        not_after("moved_in", moved_in, today, "入住日期")
        if moved_in < date.fromisoformat(rental["start"]):
            raise DomainRuleViolation("moved_in", "tenant.before_rental", f"moved in {moved_in}, before the rental "
                                      f"started {rental['start']}", f"入住日期早于租赁起始日期 {rental['start']}")
        if rental.get("end") and moved_in > date.fromisoformat(rental["end"]):
            raise DomainRuleViolation("moved_in", "tenant.after_rental", f"moved in {moved_in}, after the rental "
                                      f"ends {rental['end']}", f"入住日期晚于租赁截止日期 {rental['end']}")
        if any(t["person_id"] == person_id for t in current_tenants(rental)):
            raise StateConflict("tenant.already_in", f"person {person_id} already lives in rental {rental_id}",
                                f"人员 {person_id} 已是该出租房屋的承租人")
        self.record(TenantMovedIn(house_id=self.house_id, rental_id=rental_id, person_id=person_id, moved_in=moved_in))
        return self.logic_errors()

    def move_out(self, rental_id: str, person_id: str, moved_out: date, today: date) -> None:
        rental = self._rental(rental_id)
        not_after("moved_out", moved_out, today, "搬离日期")
        tenant = next((t for t in current_tenants(rental) if t["person_id"] == person_id), None)
        if tenant is None:
            raise NotFound("tenant", person_id)
        if moved_out < date.fromisoformat(tenant["moved_in"]):
            raise DomainRuleViolation("moved_out", "tenant.out_before_in", f"moved out {moved_out}, before moving "
                                      f"in {tenant['moved_in']}", f"搬离日期早于入住日期 {tenant['moved_in']}")
        self.record(TenantMovedOut(house_id=self.house_id, rental_id=rental_id, person_id=person_id,
                                   moved_out=moved_out))

    def end_rental(self, rental_id: str, ended_on: date, today: date, reason: str = "") -> None:
        rental = self._active_rental(rental_id)
        not_after("ended_on", ended_on, today, "终止日期")
        latest = max([rental["start"], *(t["moved_in"] for t in rental.get("tenants", []))])
        if ended_on < date.fromisoformat(latest):
            raise DomainRuleViolation("ended_on", "rental.end_before_start", f"ended {ended_on}, before {latest}",
                                      f"终止日期早于 {latest}（起租或最后入住）")
        self.record(RentalEnded(house_id=self.house_id, rental_id=rental_id, ended_on=ended_on, reason=reason))

    # demolition (拆除/灭失) -----------------------------------------------------------------------------
    def demolish(self, on: date, reason: str, today: date) -> None:
        """The house is gone: every active rental ends on that day with the reason (its tenants move out), then
        the house is recorded demolished. A rental or tenant that came after ``on`` cannot have been there."""
        self._require_standing("demolition")
        not_after("on", on, today, "拆除/灭失日期")
        if not reason.strip():
            raise DomainRuleViolation("reason", "required", "say why the house is gone", "须填写拆除/灭失原因")
        for rental in self.active_rentals():
            latest = max([rental["start"], *(t["moved_in"] for t in rental.get("tenants", []))])
            if on < date.fromisoformat(latest):
                raise DomainRuleViolation("on", "house.demolished_before_rental",
                                          f"rental {rental['rental_id']} runs from {latest}, after {on}",
                                          f"出租登记 {rental['rental_id']} 自 {latest} 起，晚于拆除/灭失日期")
        for rental in self.active_rentals():
            self.record(RentalEnded(house_id=self.house_id, rental_id=rental["rental_id"], ended_on=on,
                                    reason=reason.strip()))
        self.record(HouseDemolished(house_id=self.house_id, on=on, reason=reason.strip()))

    def _require_standing(self, what: str) -> None:
        """A demolished house takes no new rental, tenant or second demolition (409 naming the rule)."""
        if self.state.get("status") == "demolished":
            raise StateConflict("house.demolished", f"house {self.house_id} was demolished on "
                                f"{self.state.get('demolished_on')}: no new {what}",
                                f"房屋已于 {self.state.get('demolished_on')} 拆除/灭失，不能再登记")

    # daily checks --------------------------------------------------------------------------------------
    def check(self, check_id: str, checked_on: date, checker: str, anyone_home: bool, today: date,
              abnormal: bool = False, abnormal_detail: str = "", remark: str = "") -> None:
        not_after("checked_on", checked_on, today, "检查日期")
        if abnormal and not abnormal_detail.strip():
            raise DomainRuleViolation("abnormal_detail", "check.abnormal_detail_required",
                                      "describe what was abnormal", "发现异常时须填写异常情况")
        self.record(HouseChecked(house_id=self.house_id, check_id=check_id, checked_on=checked_on, checker=checker,
                                 anyone_home=anyone_home, abnormal=abnormal, abnormal_detail=abnormal_detail,
                                 remark=remark))

    # reading the state ---------------------------------------------------------------------------------
    def active_rentals(self) -> list[dict[str, Any]]:
        return [r for r in self.state.get("rentals", []) if r["status"] == "active"]

    def logic_errors(self) -> list[dict[str, str]]:
        return logic_errors(self.state)

    def _rental(self, rental_id: str) -> dict[str, Any]:
        rental = next((r for r in self.state.get("rentals", []) if r["rental_id"] == rental_id), None)
        if rental is None:
            raise NotFound("rental", rental_id)
        return rental

    def _active_rental(self, rental_id: str) -> dict[str, Any]:
        rental = self._rental(rental_id)
        if rental["status"] != "active":
            raise StateConflict("rental.ended", f"rental {rental_id} ended on {rental.get('ended_on')}",
                                f"该租赁已于 {rental.get('ended_on')} 终止")
        return rental


def current_tenants(rental: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for t in rental.get("tenants", []) if not t.get("moved_out")]


LOGIC_ERRORS = {
    "house.tenant_not_rented": ("tenants live in a house whose use is not rented", "承租人所住房屋未登记为出租房屋"),
    "house.let_not_rented": ("a rental is registered on a house whose use is not rented", "房屋用途不是出租却登记了租赁"),
}


def logic_errors(state: dict[str, Any]) -> list[dict[str, str]]:
    """逻辑错误 a supervisor is judged on: a house let (or with tenants) while its use says it is not let."""
    active = [r for r in state.get("rentals", []) if r["status"] == "active"]
    if not let_against_its_use(state.get("use"), bool(active)):
        return []
    tenants = sum(len(current_tenants(r)) for r in active)
    rule = "house.tenant_not_rented" if tenants else "house.let_not_rented"
    message, message_zh = LOGIC_ERRORS[rule]
    return [{"type": rule, "msg": f"{message} (use: {state.get('use')})", "msg_zh": message_zh}]
