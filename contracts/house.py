"""Actual-house (实有房屋) events: the facts the house service publishes on ybss.house.events.

A house hangs on one standard address (a room, or a door plate / building for a whole house). Its stream
holds the house, its rentals (出租房屋登记) with their tenants, and its daily checks (日常检查). Each event says
how it changes the record's state (``evolve``), the same shape the house read model shows.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import Field

from contracts.events import DomainEvent
from contracts.listing import change_entry, decided
from contracts.parties import PartyRef

HouseUse = Literal["self_occupied", "rented", "business", "vacant", "dormitory", "group_rental", "other"]
#: 房屋用途: 自住, 出租, 经营, 空置, 单位宿舍, 群租, 其他
HOUSE_USES: dict[str, str] = {"self_occupied": "自住", "rented": "出租", "business": "经营", "vacant": "空置",
                              "dormitory": "单位宿舍", "group_rental": "群租", "other": "其他"}
#: Uses under which letting the house is what the record says (others + an active rental = a logic error).
LETTING_USES = frozenset({"rented", "group_rental", "dormitory"})


def let_against_its_use(use: str | None, let: bool) -> bool:
    """逻辑错误 a supervisor is judged on: the house is let (an active rental) while its use says it is not."""
    return let and use not in LETTING_USES

PropertyNature = Literal["commercial", "private", "public", "collective", "unit", "resettlement", "other"]
#: 房屋性质: 商品房, 私房, 公房, 集体, 单位自管, 安置房, 其他
PROPERTY_NATURES: dict[str, str] = {"commercial": "商品房", "private": "私房", "public": "公房", "collective": "集体",
                                    "unit": "单位自管房", "resettlement": "安置房", "other": "其他"}

ManagementLevel = Literal["normal", "attention", "strict"]  #: 管理等级: 一般, 关注, 严管


class HouseRegistered(DomainEvent):
    """实有房屋 registered at a standard address."""

    house_id: str = Field(description="house id (房屋编号)")
    address_code: str = Field(description="standard address code (标准地址编码) of the room or door plate")
    address_name: str | None = Field(default=None, description="standard full name at registration (标准地址全称)")
    address_kind: str = Field(description="room (户室) / doorplate (门楼牌, whole house) / place")
    division_code: str = Field(description="township (乡镇街道) the address lies in: the owning jurisdiction")
    property_nature: PropertyNature = Field(description="房屋性质")
    use: HouseUse = Field(description="房屋用途")
    area: float | None = Field(default=None, description="建筑面积 m²")
    rooms: int | None = Field(default=None, description="房间数")
    owner: PartyRef | None = Field(default=None, description="产权人 (房主)")
    management_level: ManagementLevel = Field(default="normal", description="管理等级")
    key_house: bool = Field(default=False, description="重点房屋")
    key_reason: str = Field(default="", description="列为重点房屋的原因")


class HouseDetailsCorrected(DomainEvent):
    """补录纠错 of the house's facts (nature, area, rooms); fields left out are unchanged, the old values stay in
    the stream."""

    house_id: str
    property_nature: PropertyNature | None = Field(default=None, description="房屋性质")
    area: float | None = Field(default=None, description="建筑面积 m²")
    rooms: int | None = Field(default=None, description="房间数")
    reason: str = Field(default="", description="纠错原因")

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        changed = self.model_dump(mode="json", include={"property_nature", "area", "rooms"}, exclude_none=True)
        return {**state, **changed}


class HouseUseChanged(DomainEvent):
    """房屋用途变更 (自住 → 出租 ...)."""

    house_id: str
    use: HouseUse
    reason: str = Field(default="", description="变更原因")

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        return {**state, "use": self.use}


class HouseOwnerChanged(DomainEvent):
    """产权人变更 (sale, inheritance, correction)."""

    house_id: str
    owner: PartyRef | None
    reason: str = ""

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        return {**state, "owner": self.owner.model_dump(mode="json") if self.owner else None}


class HouseKeyStatusSet(DomainEvent):
    """管理等级 / 重点房屋 set: listed with a reason, or released."""

    house_id: str
    management_level: ManagementLevel
    key_house: bool
    key_reason: str = ""

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        return {**state, "management_level": self.management_level, "key_house": self.key_house,
                "key_reason": self.key_reason}


class RentalStarted(DomainEvent):
    """出租房屋登记: the house (or part of it) is let."""

    house_id: str
    rental_id: str = Field(description="rental id within the house")
    lessor: PartyRef = Field(description="出租人")
    lessor_role: Literal["owner", "agent"] = Field(description="owner 房主 or agent 代理人/二房东")
    rooms_let: int = Field(description="出租间数")
    area_let: float | None = Field(default=None, description="出租面积 m²")
    monthly_rent: float | None = Field(default=None, description="月租金 元")
    start: date = Field(description="租赁起始日期")
    end: date | None = Field(default=None, description="租赁截止日期 (open-ended when absent)")
    security_person: PartyRef = Field(description="治安责任人")
    responsibility_letter_signed: date | None = Field(default=None, description="治安责任书签订日期")

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        rental = {**self.model_dump(mode="json", exclude={"house_id"}), "status": "active", "tenants": []}
        return {**state, "rentals": [*state.get("rentals", []), rental]}


class TenantMovedIn(DomainEvent):
    """承租人入住: a person joins a rental."""

    house_id: str
    rental_id: str
    person_id: str = Field(description="实有人口 person id of the tenant (承租人)")
    moved_in: date = Field(description="入住日期")

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        tenant = {"person_id": self.person_id, "moved_in": self.moved_in.isoformat(), "moved_out": None}
        return _with_rental(state, self.rental_id, lambda r: {**r, "tenants": [*r.get("tenants", []), tenant]})


class TenantMovedOut(DomainEvent):
    """承租人搬离."""

    house_id: str
    rental_id: str
    person_id: str
    moved_out: date = Field(description="搬离日期")

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        def leave(rental: dict[str, Any]) -> dict[str, Any]:
            tenants = [({**t, "moved_out": self.moved_out.isoformat()}
                        if t["person_id"] == self.person_id and t.get("moved_out") is None else t)
                       for t in rental.get("tenants", [])]
            return {**rental, "tenants": tenants}
        return _with_rental(state, self.rental_id, leave)


class RentalEnded(DomainEvent):
    """租赁终止: every tenant still in is moved out on that date."""

    house_id: str
    rental_id: str
    ended_on: date = Field(description="终止日期")
    reason: str = Field(default="", description="终止原因")

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        day = self.ended_on.isoformat()

        def end(rental: dict[str, Any]) -> dict[str, Any]:
            tenants = [t if t.get("moved_out") else {**t, "moved_out": day} for t in rental.get("tenants", [])]
            return {**rental, "status": "ended", "ended_on": day, "end_reason": self.reason, "tenants": tenants}
        return _with_rental(state, self.rental_id, end)


class HouseDemolished(DomainEvent):
    """拆除/灭失: the house is gone (demolished, collapsed, burnt down). Its rentals were ended with the same
    reason by RentalEnded events just before; no new rental or tenant is accepted from now on."""

    house_id: str
    on: date = Field(description="拆除/灭失日期")
    reason: str = Field(description="拆除/灭失原因 (e.g. 旧城改造拆除)")

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        return {**state, "status": "demolished", "demolished_on": self.on.isoformat(), "demolished_reason": self.reason}


class RentalTermsChanged(DomainEvent):
    """租赁条款变更: a rental extended or shortened (租期延长/缩短), its rent (租金) or the rooms or area let
    (出租间数/面积) changed. Fields left out are unchanged; the old terms stay in the stream."""

    house_id: str
    rental_id: str
    changed_on: date = Field(description="变更日期")
    end: date | None = Field(default=None, description="新的租赁截止日期 (延长或缩短)")
    rooms_let: int | None = Field(default=None, description="新的出租间数")
    area_let: float | None = Field(default=None, description="新的出租面积 m²")
    monthly_rent: float | None = Field(default=None, description="新的月租金 元")
    reason: str = Field(default="", description="变更原因")

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        changed = self.model_dump(mode="json", include={"end", "rooms_let", "area_let", "monthly_rent"},
                                  exclude_none=True)
        return _with_rental(state, self.rental_id,
                            lambda r: {**r, **changed, "terms_changed_on": self.changed_on.isoformat()})


class RentalLessorReplaced(DomainEvent):
    """出租人变更: another person (or unit) lets the rental from now on (房屋过户, 转租给二房东, 代理人更换)."""

    house_id: str
    rental_id: str
    lessor: PartyRef = Field(description="新的出租人")
    lessor_role: Literal["owner", "agent"] = Field(description="owner 房主 or agent 代理人/二房东")
    replaced_on: date = Field(description="变更日期")
    reason: str = Field(default="", description="变更原因")

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        lessor = self.lessor.model_dump(mode="json")
        return _with_rental(state, self.rental_id, lambda r: {
            **r, "lessor": lessor, "lessor_role": self.lessor_role, "lessor_replaced_on": self.replaced_on.isoformat()})


class RentalSecurityPersonReplaced(DomainEvent):
    """治安责任人变更: the rental's security person is replaced; the responsibility letter (治安责任书) is the new
    person's own (absent: not signed yet)."""

    house_id: str
    rental_id: str
    security_person: PartyRef = Field(description="新的治安责任人")
    responsibility_letter_signed: date | None = Field(default=None, description="新责任人签订治安责任书的日期")
    replaced_on: date = Field(description="变更日期")
    reason: str = Field(default="", description="变更原因")

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        person = self.security_person.model_dump(mode="json")
        signed = self.responsibility_letter_signed.isoformat() if self.responsibility_letter_signed else None
        return _with_rental(state, self.rental_id, lambda r: {
            **r, "security_person": person, "responsibility_letter_signed": signed,
            "security_person_replaced_on": self.replaced_on.isoformat()})


class HouseKeyStatusRequested(DomainEvent):
    """管理等级/重点房屋 申请: police of the jurisdiction ask to list the house as a key house (列为重点房屋), to
    release it, or to change its management level; nothing changes until a supervisor approves."""

    house_id: str
    request_id: str = Field(description="申请编号")
    management_level: ManagementLevel = Field(description="申请的管理等级")
    key_house: bool = Field(description="申请后是否为重点房屋")
    key_reason: str = Field(default="", description="列为重点房屋的原因")
    reason: str = Field(description="申请理由")
    requested_by: str = Field(description="申请人 (警号)")
    requested_on: date = Field(description="申请日期")

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        request = {**self.model_dump(mode="json", exclude={"house_id"}), "state": "pending"}
        return {**state, "key_status_requests": [*state.get("key_status_requests", []), request]}


class HouseKeyStatusApproved(DomainEvent):
    """管理等级/重点房屋 审批通过: a supervisor of the jurisdiction approves the pending request; the house takes
    the requested level and key-house status."""

    house_id: str
    request_id: str
    management_level: ManagementLevel = Field(description="批准的管理等级 (the request's)")
    key_house: bool = Field(description="批准后是否为重点房屋")
    key_reason: str = Field(default="", description="列为重点房屋的原因")
    remark: str = Field(default="", description="审批意见")
    decided_by: str = Field(description="审批人")
    decided_on: date = Field(description="审批日期")

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        decided = _decided(state, self.request_id, "approved", self.remark, self.decided_by, self.decided_on)
        return {**decided, "management_level": self.management_level, "key_house": self.key_house,
                "key_reason": self.key_reason}


class HouseKeyStatusRejected(DomainEvent):
    """管理等级/重点房屋 审批不通过: a supervisor rejects the pending request with reasons; the house is unchanged."""

    house_id: str
    request_id: str
    remark: str = Field(description="驳回理由")
    decided_by: str = Field(description="审批人")
    decided_on: date = Field(description="审批日期")

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        return _decided(state, self.request_id, "rejected", self.remark, self.decided_by, self.decided_on)


class HouseChecked(DomainEvent):
    """日常检查 of the house (of a rental house, usually)."""

    house_id: str
    check_id: str
    checked_on: date = Field(description="检查日期")
    checker: str = Field(description="检查人 (警号/姓名)")
    anyone_home: bool = Field(description="是否有人在家")
    abnormal: bool = Field(default=False, description="是否发现异常")
    abnormal_detail: str = Field(default="", description="异常情况")
    remark: str = Field(default="", description="备注")

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        check = self.model_dump(mode="json", exclude={"house_id"})
        return {**state, "checks": [*state.get("checks", []), check]}


def _with_rental(state: dict[str, Any], rental_id: str, change) -> dict[str, Any]:
    return change_entry(state, "rentals", "rental_id", rental_id, change)


def _decided(state: dict[str, Any], request_id: str, outcome: str, remark: str, decided_by: str,
             decided_on: date) -> dict[str, Any]:
    return change_entry(state, "key_status_requests", "request_id", request_id,
                        lambda request: decided(request, outcome, decided_by, decided_on, remark))
