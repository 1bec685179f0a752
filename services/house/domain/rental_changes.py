"""Changes to a running rental (出租房屋登记) after it was registered, each its own event. Pure.

租期延长/缩短、租金或出租间数变更 (RentalTermsChanged), 出租人变更 (RentalLessorReplaced) and 治安责任人变更
(RentalSecurityPersonReplaced) are mixed into the house aggregate: they decide on the house's state (its rooms,
area and the rental's tenants) and record events; a demolished house or an ended rental takes none (409).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from contracts.house import RentalLessorReplaced, RentalSecurityPersonReplaced, RentalTermsChanged
from contracts.parties import PartyRef
from services.kernel.base.errors import DomainRuleViolation, not_after

TERMS = ("end", "rooms_let", "area_let", "monthly_rent")


@dataclass(frozen=True)
class TermsChange:
    """租赁条款变更 as the officer states it: only the terms given change."""

    changed_on: date
    end: date | None = None
    rooms_let: int | None = None
    area_let: float | None = None
    monthly_rent: float | None = None
    reason: str = ""


class RentalChanges:
    """The house aggregate's commands on a running rental (mixed into ``House``)."""

    state: dict[str, Any]

    def change_rental_terms(self, rental_id: str, change: TermsChange, today: date) -> list[dict[str, str]]:
        """延长/缩短 the term, change the rent or the rooms/area let; answers the logic errors it leaves."""
        rental = self._changeable(rental_id, "changed_on", change.changed_on, today, "变更日期")
        given = {name: getattr(change, name) for name in TERMS if getattr(change, name) is not None}
        if not given:
            raise DomainRuleViolation("end", "rental_terms.empty", "name at least one term to change (end, rooms_let, "
                                      "area_let, monthly_rent)", "至少填写一项变更内容（截止日期、出租间数、出租面积、月租金）")
        new = {name: value for name, value in given.items() if _json(value) != rental.get(name)}
        if not new:
            first = next(iter(given))
            raise DomainRuleViolation(first, "rental_terms.unchanged", "the rental already has these terms",
                                      "变更内容与现有租赁条款相同")
        if "end" in new:
            _check_end(rental, new["end"], today)
        if "rooms_let" in new:
            self._check_rooms(new["rooms_let"], rental_id)
        area = self.state.get("area")
        if "area_let" in new and area is not None and new["area_let"] > area:
            raise DomainRuleViolation("area_let", "rental.area_exceeds_house", f"area let {new['area_let']} m² exceeds "
                                      f"the house's {area} m²", f"出租面积 {new['area_let']}㎡ 超过房屋面积 {area}㎡")
        self.record(RentalTermsChanged(house_id=self.house_id, rental_id=rental_id, changed_on=change.changed_on,
                                       reason=change.reason.strip(), **new))
        return self.logic_errors()

    def replace_lessor(self, rental_id: str, lessor: PartyRef, lessor_role: str, replaced_on: date, today: date,
                       reason: str = "") -> None:
        """出租人变更: someone else lets the rental from ``replaced_on``."""
        rental = self._changeable(rental_id, "replaced_on", replaced_on, today, "变更日期")
        if rental.get("lessor") == lessor.model_dump(mode="json") and rental.get("lessor_role") == lessor_role:
            raise DomainRuleViolation("lessor", "lessor.unchanged", "this is already the rental's lessor",
                                      "新出租人与现出租人相同")
        self.record(RentalLessorReplaced(house_id=self.house_id, rental_id=rental_id, lessor=lessor,
                                         lessor_role=lessor_role, replaced_on=replaced_on, reason=reason.strip()))

    def replace_security_person(self, rental_id: str, person: PartyRef, replaced_on: date, today: date,
                                letter_signed: date | None = None, reason: str = "") -> None:
        """治安责任人变更: the new person's responsibility letter (治安责任书), when signed, is theirs."""
        rental = self._changeable(rental_id, "replaced_on", replaced_on, today, "变更日期")
        not_after("responsibility_letter_signed", letter_signed, today, "治安责任书签订日期")
        if rental.get("security_person") == person.model_dump(mode="json"):
            raise DomainRuleViolation("security_person", "security_person.unchanged",
                                      "this is already the rental's security person", "新治安责任人与现责任人相同")
        self.record(RentalSecurityPersonReplaced(
            house_id=self.house_id, rental_id=rental_id, security_person=person, replaced_on=replaced_on,
            responsibility_letter_signed=letter_signed, reason=reason.strip()))

    # rules ---------------------------------------------------------------------------------------------
    def _changeable(self, rental_id: str, field: str, day: date, today: date, what_zh: str) -> dict[str, Any]:
        """The active rental of a standing house, changed on a day that has come and after the rental began."""
        self._require_standing("rental change")
        rental = self._active_rental(rental_id)
        not_after(field, day, today, what_zh)
        if day < date.fromisoformat(rental["start"]):
            raise DomainRuleViolation(field, "rental.change_before_start", f"{field} {day} is before the rental "
                                      f"started {rental['start']}", f"{what_zh}早于租赁起始日期 {rental['start']}")
        return rental

    def _check_rooms(self, rooms_let: int, rental_id: str) -> None:
        """The rooms let by every active rental, this one's new count included, must exist in the house."""
        rooms = self.state.get("rooms")
        others = sum(r["rooms_let"] for r in self.active_rentals() if r["rental_id"] != rental_id)
        if rooms is not None and others + rooms_let > rooms:
            raise DomainRuleViolation("rooms_let", "rental.rooms_exceed_house",
                                      f"{rooms_let} rooms let, but the house has {rooms} and {others} are let by "
                                      f"other rentals", f"出租间数 {rooms_let} 超过房屋房间数 {rooms}（其他租赁已出租 {others} 间）")


def _check_end(rental: dict[str, Any], end: date, today: date) -> None:
    """A new end (延长或缩短) lies after the start and after every tenant's stay; tenants still living there keep
    it from lying in the past (move them out, or end the rental)."""
    if end < date.fromisoformat(rental["start"]):
        raise DomainRuleViolation("end", "rental.end_before_start", f"end {end} is before start {rental['start']}",
                                  "租赁截止日期不能早于起始日期")
    tenants = rental.get("tenants", [])
    latest = max((t.get("moved_out") or t["moved_in"] for t in tenants), default=None)
    if latest is not None and end < date.fromisoformat(latest):
        raise DomainRuleViolation("end", "rental.end_before_tenant", f"end {end} is before a tenant's stay "
                                  f"(until {latest})", f"租赁截止日期早于承租人居住日期 {latest}")
    if end < today and any(not t.get("moved_out") for t in tenants):
        raise DomainRuleViolation("end", "rental.end_before_current_tenants",
                                  f"end {end} is past while tenants still live there: move them out or end the rental",
                                  f"承租人仍在住，截止日期 {end} 不能早于今天（请先办理搬离或终止租赁）")


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value

