"""Declarations (信息申报): what landlords, employers and hotels declare themselves, and what became of it.

A declarant (房东 landlord, 用人单位 employer, 旅馆 hotel) declares a change it is part of — a tenant moved in or
out, an employee hired or left, a guest checked in. Police of the jurisdiction verify it (核实) or reject it
with a reason (退回); a verified declaration is handed to the registry that owns the fact as an agency record
(contracts/ingest.py, agency ``DECLARATIONS``) and the registry's answer is kept with it. States:
``pending`` (待核实) → ``verified`` (已核实) | ``rejected`` (已退回); a verified one then carries the registry's
answer (``registry.status`` pending → accepted | rejected).

The events are the ingest context's own (stream type ``Declaration``, on ``<ns>.ingest.events``); each says how
it evolves the record, so the read model and the audit fold one stream the same way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from contracts.events import DomainEvent

#: the agency id declarations travel under to the registries (their answers come on its replies topic)
DECLARATIONS = "declarations"

Kind = Literal["tenant_in", "tenant_out", "employee_in", "employee_out", "guest_check_in"]
KINDS: tuple[str, ...] = ("tenant_in", "tenant_out", "employee_in", "employee_out", "guest_check_in")
#: who declares each kind (申报主体)
DECLARANT_KINDS: dict[str, str] = {"tenant_in": "landlord", "tenant_out": "landlord", "employee_in": "employer",
                                   "employee_out": "employer", "guest_check_in": "hotel"}
STATES: tuple[str, ...] = ("pending", "verified", "rejected")


class DeclarationSubmitted(DomainEvent):
    """已申报: a declarant declared a change; police of ``division_code`` verify it by ``due_at``."""

    declaration_id: str
    kind: Kind
    declarant: str  #: the declarant's id (its token's subject)
    declarant_kind: str  #: landlord 房东 / employer 用人单位 / hotel 旅馆
    division_code: str  #: where the house, unit or hotel lies: whose police verify it
    details: dict[str, Any]  #: the kind's own fields (house_id, person_id, moved_in ...)
    declared_at: datetime
    due_at: datetime  #: 核实期限: the deadline in force when it was declared

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        return {**state, **self.model_dump(mode="json"), "state": "pending", "registry": None}


class DeclarationVerified(DomainEvent):
    """已核实: police confirmed it; ``record`` is what is handed to the registry (entity type, operation, fields)."""

    declaration_id: str
    verified_by: str
    verified_at: datetime
    remark: str = ""
    registry_context: str  #: the context whose registry applies it (house, unit, person)
    record: dict[str, Any]  #: the IngestRecord handed over (record_id = the declaration id)

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        return {**state, "state": "verified", "decided_by": self.verified_by,
                "decided_at": self.verified_at.isoformat(), "remark": self.remark,
                "registry": {"context": self.registry_context, "entity_type": self.record.get("entity_type"),
                             "status": "pending"}}


class DeclarationRejected(DomainEvent):
    """已退回: police rejected it, with the reason the declarant reads."""

    declaration_id: str
    rejected_by: str
    rejected_at: datetime
    reason: str

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        return {**state, "state": "rejected", "decided_by": self.rejected_by,
                "decided_at": self.rejected_at.isoformat(), "reason": self.reason}


class DeclarationAnswered(DomainEvent):
    """登记结果: the registry's answer to the verified declaration (accepted with the entity, or its reasons)."""

    declaration_id: str
    status: Literal["accepted", "rejected"]
    entity_type: str | None = None
    entity_id: str | None = None
    stream_id: str | None = None
    version: int | None = None
    reasons: list[dict[str, str]] = []
    reply_id: str

    def evolve(self, state: dict[str, Any]) -> dict[str, Any]:
        registry = {**(state.get("registry") or {}), **self.model_dump(mode="json", exclude={"declaration_id"})}
        return {**state, "registry": registry}
