"""管理等级与重点房屋 by request and approval, as key persons (重点人员) are listed. Pure.

    申请 request ──approve──▶ 已批准 approved (the house takes the requested level and key-house status)
        pending  └──reject───▶ 已驳回 rejected (the house is unchanged)

Police of the house's jurisdiction request, a supervisor of it decides (the routes check roles, the application
the jurisdiction); one request is pending at a time, a decided one is not decided again (409 naming its state).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from contracts.house import HouseKeyStatusApproved, HouseKeyStatusRejected, HouseKeyStatusRequested
from services.kernel.base.errors import DomainRuleViolation, NotFound, StateConflict, rejection_reasons, required

REQUEST_STATES_ZH = {"pending": "待审批", "approved": "已批准", "rejected": "已驳回"}


def require_key_reason(key_house: bool, key_reason: str) -> None:
    if key_house and not key_reason.strip():
        raise DomainRuleViolation("key_reason", "house.key_reason_required", "a key house needs a reason",
                                  "列为重点房屋须说明原因")


class KeyStatusRequests:
    """The house aggregate's key-status workflow (mixed into ``House``)."""

    state: dict[str, Any]

    def request_key_status(self, request_id: str, management_level: str, key_house: bool, key_reason: str,
                           reason: str, requested_by: str, today: date) -> None:
        """申请: list, release or re-level the house; nothing changes until a supervisor approves."""
        self._require_standing("key-status request")
        require_key_reason(key_house, key_reason)
        reason = required("reason", reason, "申请理由")
        pending = self.pending_key_status_request()
        if pending is not None:
            raise StateConflict("house.key_status_pending", f"request {pending['request_id']} of "
                                f"{pending['requested_on']} awaits a decision", "该房屋已有待审批的管理等级/重点房屋申请")
        if (management_level, key_house) == (self.state.get("management_level", "normal"),
                                             bool(self.state.get("key_house"))):
            raise DomainRuleViolation("management_level", "key_status.unchanged", "the house already has this "
                                      "management level and key-house status", "申请的管理等级与重点房屋状态与现状相同")
        self.record(HouseKeyStatusRequested(
            house_id=self.house_id, request_id=request_id, management_level=management_level, key_house=key_house,
            key_reason=key_reason.strip() if key_house else "", reason=reason, requested_by=requested_by,
            requested_on=today))

    def approve_key_status(self, request_id: str, remark: str, decided_by: str, today: date) -> None:
        """审批通过: the house takes what the request asked for."""
        request = self._pending(request_id, "approve")
        self._require_standing("key-status approval")
        self.record(HouseKeyStatusApproved(
            house_id=self.house_id, request_id=request_id, management_level=request["management_level"],
            key_house=request["key_house"], key_reason=request["key_reason"], remark=remark.strip(),
            decided_by=decided_by, decided_on=today))

    def reject_key_status(self, request_id: str, remark: str, decided_by: str, today: date) -> None:
        """审批不通过, with reasons."""
        remark = rejection_reasons(remark)
        self._pending(request_id, "reject")
        self.record(HouseKeyStatusRejected(house_id=self.house_id, request_id=request_id, remark=remark,
                                           decided_by=decided_by, decided_on=today))

    def pending_key_status_request(self) -> dict[str, Any] | None:
        return next((r for r in self.state.get("key_status_requests", []) if r["state"] == "pending"), None)

    def _pending(self, request_id: str, action: str) -> dict[str, Any]:
        request = next((r for r in self.state.get("key_status_requests", []) if r["request_id"] == request_id), None)
        if request is None:
            raise NotFound("key-status request", request_id)
        if request["state"] != "pending":
            raise StateConflict("key_status_request.decided", f"cannot {action}: request {request_id} was "
                                f"{request['state']} on {request.get('decided_on')}",
                                f"该申请已{REQUEST_STATES_ZH[request['state']]}，不能再审批")
        return request
