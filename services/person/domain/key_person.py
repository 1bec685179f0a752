"""The key-person (重点人员) aggregate: the 列管 workflow, one stream per listing, ``keyperson-<id>``. Pure.

    列管申请 applied ──approve──▶ 已列管 listed ──apply_release──▶ 撤管申请 release_applied ──approve──▶ 已撤管 released
          └──reject──▶ rejected            ▲ │                               └──reject──▶ listed
                                           │ ├─request_transfer (转递) ─approve/reject─┘  (while listed)
                                           │ └─request_recategorization (转类) ─approve/reject
Requests come from police of the responsible jurisdiction, decisions from a supervisor of that jurisdiction
(the routes check roles and jurisdiction; the aggregate checks the state). A step that does not fit the state
is refused with 409 naming the state.
"""

from __future__ import annotations

from contracts.events import DomainEvent
from contracts.key_person_record import KEY_PERSON
from contracts.listing import decision
from contracts.person_codes import key_person_categories
from contracts.person import (
    KEY_PERSON_STATES_ZH, KeyPersonListed, KeyPersonListingApplied, KeyPersonListingRejected,
    KeyPersonRecategorizationRequested, KeyPersonRecategorized, KeyPersonReleaseApplied, KeyPersonReleased,
    KeyPersonReleaseRejected, KeyPersonRequestRejected, KeyPersonState, KeyPersonTransferRequested,
    KeyPersonTransferred,
)
from services.kernel.eventsourcing.aggregate import Aggregate, applies
from services.kernel.base.errors import DomainRuleViolation, StateConflict, rejection_reasons, required

#: the 列管/撤管 decisions (each declares which request it decides and whether it approves)
DECISIONS = (KeyPersonListed, KeyPersonListingRejected, KeyPersonReleased, KeyPersonReleaseRejected)
PENDING_ZH = {"transfer": "转递申请", "recategorization": "转类申请"}


def key_person_stream(key_person_id: str) -> str:
    return f"keyperson-{key_person_id}"


def check_category(code: str, field: str = "category_code") -> str:
    if code not in key_person_categories():
        raise DomainRuleViolation(field, "key_person.category_unknown", f"{code!r} is not a key-person category "
                                  f"(known: {', '.join(key_person_categories())})", f"重点人员类别 {code} 不存在")
    return code


class KeyPerson(Aggregate):
    stream_type = "KeyPerson"

    def __init__(self, stream_id: str) -> None:
        super().__init__(stream_id)
        self.key_person_id = stream_id.removeprefix("keyperson-")
        self.listing: dict = {}  #: the key-person record, JSON values, as its events' ``evolve`` declare it

    # commands ----------------------------------------------------------------------------------------
    @classmethod
    def apply_for_listing(cls, event: KeyPersonListingApplied) -> "KeyPerson":
        check_category(event.category_code)
        for field in ("problem", "responsible_unit", "responsible_officer", "control_level"):
            required(field, getattr(event, field), f"{field} ")
        key_person = cls(key_person_stream(event.key_person_id))
        key_person.record(event)
        return key_person

    def approve(self, remark: str = "") -> str:
        """Approve whatever is awaiting a decision; returns which step was approved."""
        kid, step = self.key_person_id, KEY_PERSON.step(self.state)
        if step is not None:
            self.record(decision(DECISIONS, step, True)(key_person_id=kid, remark=remark))
            return step
        if self.state == KeyPersonState.listed and self.pending_request:
            if self.pending_request["kind"] == "transfer":
                self.record(KeyPersonTransferred(key_person_id=kid, remark=remark,
                                                 to_division_code=self.pending_request["to_division_code"],
                                                 to_unit=self.pending_request["to_unit"], to_officer=self.pending_request["to_officer"]))
                return "transfer"
            self.record(KeyPersonRecategorized(key_person_id=kid, remark=remark,
                                               to_category_code=self.pending_request["to_category_code"]))
            return "recategorization"
        raise self._illegal("approve")

    def reject(self, remark: str) -> str:
        remark = rejection_reasons(remark)
        kid, step = self.key_person_id, KEY_PERSON.step(self.state)
        if step is not None:
            self.record(decision(DECISIONS, step, False)(key_person_id=kid, remark=remark))
            return step
        if self.state == KeyPersonState.listed and self.pending_request:
            kind = self.pending_request["kind"]
            self.record(KeyPersonRequestRejected(key_person_id=kid, remark=remark, request=kind))
            return kind
        raise self._illegal("reject")

    def apply_for_release(self, reason: str) -> None:
        self._require_listed_without_pending("apply for release (撤管申请)")
        self.record(KeyPersonReleaseApplied(key_person_id=self.key_person_id, reason=reason))

    def request_transfer(self, to_division_code: str, to_unit: str, to_officer: str | None, reason: str) -> None:
        self._require_listed_without_pending("request a transfer (转递)")
        if to_division_code == self.division_code and to_unit == self.responsible_unit:
            raise DomainRuleViolation("to_unit", "transfer.unchanged", "the transfer names the current unit and "
                                      "jurisdiction", "转递的接收单位与现责任单位相同")
        self.record(KeyPersonTransferRequested(key_person_id=self.key_person_id, to_division_code=to_division_code,
                                               to_unit=to_unit, to_officer=to_officer, reason=reason))

    def request_recategorization(self, to_category_code: str, reason: str) -> None:
        self._require_listed_without_pending("request a change of category (转类)")
        check_category(to_category_code, "to_category_code")
        if to_category_code == self.category_code:
            raise DomainRuleViolation("to_category_code", "recategorization.unchanged",
                                      "the key person is already in this category", "类别未变化")
        self.record(KeyPersonRecategorizationRequested(key_person_id=self.key_person_id,
                                                       to_category_code=to_category_code, reason=reason))

    # rules -------------------------------------------------------------------------------------------
    def describe_state(self) -> str:
        state = f"{self.state} ({KEY_PERSON_STATES_ZH[self.state]})" if self.state else "unknown"
        if self.pending_request:
            state += f" with a pending {self.pending_request['kind']} ({PENDING_ZH[self.pending_request['kind']]})"
        return state

    def _illegal(self, action: str) -> StateConflict:
        zh = KEY_PERSON_STATES_ZH.get(self.state, "未知") + (f"，{PENDING_ZH[self.pending_request['kind']]}待审批" if self.pending_request else "")
        return StateConflict("key_person.illegal_transition",
                             f"cannot {action}: the key person is {self.describe_state()}",
                             f"当前状态为{zh}，不能执行该操作")

    def _require_listed_without_pending(self, action: str) -> None:
        if self.state != KeyPersonState.listed or self.pending_request:
            raise self._illegal(action)

    # state -------------------------------------------------------------------------------------------
    @applies(KeyPersonListingApplied, KeyPersonListed, KeyPersonListingRejected, KeyPersonReleaseApplied,
             KeyPersonReleased, KeyPersonReleaseRejected, KeyPersonTransferRequested, KeyPersonTransferred,
             KeyPersonRecategorizationRequested, KeyPersonRecategorized, KeyPersonRequestRejected)
    def _evolve(self, event: DomainEvent) -> None:
        """The key-person record's transition as the contract declares it (the registry and the replicas fold
        with the same ``evolve``); a transfer hands the record to the receiving jurisdiction."""
        self.listing = event.evolve(self.listing)
        self.division_code = self.listing.get("division_code")

    @property
    def state(self) -> KeyPersonState | None:
        return KeyPersonState(self.listing["state"]) if self.listing.get("state") else None

    @property
    def pending_request(self) -> dict | None:
        """转递 / 转类 awaiting a decision."""
        return self.listing.get("pending")

    @property
    def category_code(self) -> str:
        return self.listing.get("category_code", "")

    @property
    def person_id(self) -> str:
        return self.listing.get("person_id", "")

    @property
    def responsible_unit(self) -> str:
        return self.listing.get("responsible_unit", "")
