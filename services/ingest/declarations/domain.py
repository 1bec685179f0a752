"""The Declaration aggregate (信息申报): declared → verified | rejected, then the registry's answer.

Pure: no database or broker. Rules: only police (or an admin) verify or reject, never the declarant itself; a
declaration is decided once (a second verify or reject is 409 ``declaration.decided``); a rejection says why
(422 ``declaration.reason_required``); the registry's answer is kept once per distinct answer (a repeated
delivery of the same answer records nothing).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from contracts.declarations import (
    DECLARANT_KINDS, DeclarationAnswered, DeclarationRejected, DeclarationSubmitted, DeclarationVerified,
)
from contracts.envelope import Actor
from contracts.events import DomainEvent
from services.kernel.base.errors import DomainRuleViolation, Forbidden, StateConflict
from services.kernel.eventsourcing.aggregate import Aggregate, applies

#: roles that verify or reject a declaration (核实/退回): police of the jurisdiction; admins everywhere
DECIDERS = ("police", "admin")


def stream_id_of(declaration_id: str) -> str:
    return f"declaration-{declaration_id}"


class Declaration(Aggregate):
    stream_type = "Declaration"

    def __init__(self, stream_id: str) -> None:
        super().__init__(stream_id)
        self.declaration_id = stream_id.removeprefix("declaration-")
        self.facts: dict[str, Any] = {}  #: the declaration as its events' ``evolve`` fold it (the read model's)
        self.answers: set[str] = set()  #: reply ids of registry answers recorded

    @property
    def state(self) -> str | None:
        """pending (待核实), verified (已核实) or rejected (已退回)."""
        return self.facts.get("state")

    # commands -----------------------------------------------------------------------------------------
    @classmethod
    def declare(cls, declaration_id: str, kind: str, declarant: str, division_code: str, details: dict[str, Any],
                declared_at: datetime, due_at: datetime) -> "Declaration":
        declaration = cls(stream_id_of(declaration_id))
        declaration.record(DeclarationSubmitted(
            declaration_id=declaration_id, kind=kind, declarant=declarant, declarant_kind=DECLARANT_KINDS[kind],
            division_code=division_code, details=details, declared_at=declared_at, due_at=due_at))
        return declaration

    def verify(self, by: Actor, at: datetime, remark: str, registry_context: str, record: dict[str, Any]) -> None:
        self._may_decide(by)
        self.record(DeclarationVerified(declaration_id=self.declaration_id, verified_by=by.id, verified_at=at,
                                        remark=remark, registry_context=registry_context, record=record))

    def reject(self, by: Actor, at: datetime, reason: str) -> None:
        if not reason.strip():
            raise DomainRuleViolation("reason", "declaration.reason_required", "a rejection needs a reason the "
                                      "declarant can act on", "退回申报须说明理由")
        self._may_decide(by)
        self.record(DeclarationRejected(declaration_id=self.declaration_id, rejected_by=by.id, rejected_at=at,
                                        reason=reason.strip()))

    def answer(self, reply_id: str, status: str, entity_type: str | None, entity_id: str | None,
               stream_id: str | None, version: int | None, reasons: list[dict[str, str]]) -> bool:
        """Keep the registry's answer; False when it was kept before (a redelivery) or nothing was handed over."""
        if self.state != "verified" or reply_id in self.answers or status not in ("accepted", "rejected"):
            return False
        self.record(DeclarationAnswered(declaration_id=self.declaration_id, status=status, entity_type=entity_type,
                                        entity_id=entity_id, stream_id=stream_id, version=version, reasons=reasons,
                                        reply_id=reply_id))
        return True

    def _may_decide(self, by: Actor) -> None:
        if by.role not in DECIDERS:
            raise Forbidden(f"role '{by.role}' may not verify or reject declarations; police of the jurisdiction do",
                            f"角色 {by.role} 无权核实或退回申报，须由辖区民警核实")
        if by.id == self.facts["declarant"]:
            raise Forbidden("a declarant may not decide its own declaration", "申报人不能核实自己的申报")
        if self.state != "pending":
            raise StateConflict("declaration.decided", f"declaration {self.declaration_id} was {self.state} already",
                                f"该申报已{'核实' if self.state == 'verified' else '退回'}，不能重复处理")

    # state ----------------------------------------------------------------------------------------------
    @applies(DeclarationSubmitted, DeclarationVerified, DeclarationRejected, DeclarationAnswered)
    def _evolved(self, event: DomainEvent) -> None:
        self.facts = event.evolve(self.facts)
        self.division_code = self.facts["division_code"]
        if isinstance(event, DeclarationAnswered):
            self.answers.add(event.reply_id)
