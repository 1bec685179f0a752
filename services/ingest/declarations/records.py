"""A verified declaration as the registry's own record (申报转登记): which agency record type, which operation.

Declarations reuse the agency record types (contracts/ingest_types.py) and the registries' handlers for them,
so the registry applies a declaration with all its rules, at most once, and answers it like any agency record:
tenant_in/out → ``tenant`` create/cancel (入住/搬离, house registry), employee_in/out → ``employee`` create/cancel
(入职/离职, unit registry), guest_check_in → ``hotel_stay`` create (旅馆住宿登记, person registry, which feeds
the key-person watch).

A tenancy or an employment keeps one record id (``tenant:<house>/<rental>/<person>``, ``employee:<unit>/
<person>``), so the move-out or the leaving cancels the record the move-in or hiring created; a move-out or
leaving also names its tenancy or employment by its ids, so the registry ends one the police registered too
(services.agency.ingest.named_entity). A hotel stay is its declaration's own record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contracts.ingest_types import OWNERS

DATE_FIELDS = ("moved_in", "moved_out", "hired", "left", "checked_in", "checked_out")


@dataclass(frozen=True)
class Handover:
    """How one kind of declaration becomes an agency record."""

    entity_type: str
    operation: str
    key: tuple[str, ...]  #: the details that name the record (empty: the declaration id does)
    fields: tuple[str, ...]  #: the details the record carries

    def record(self, declaration_id: str, division_code: str, details: dict[str, Any]) -> dict[str, Any]:
        """The IngestRecord (as JSON) for a declaration's details."""
        record_id = (f"{self.entity_type}:" + "/".join(str(details[name]) for name in self.key)) if self.key \
            else declaration_id
        fields = {name: details[name] for name in self.fields if details.get(name) is not None}
        if self.entity_type == "hotel_stay":
            fields["division_code"] = division_code
        return {"record_id": record_id, "entity_type": self.entity_type, "operation": self.operation,
                "fields": fields}

    @property
    def owner(self) -> str:
        """The context whose registry applies it (the agency record types' table)."""
        return OWNERS[self.entity_type]


_TENANCY = ("house_id", "rental_id", "person_id")
_EMPLOYMENT = ("unit_id", "person_id")
HANDOVERS: dict[str, Handover] = {
    "tenant_in": Handover("tenant", "create", _TENANCY, (*_TENANCY, "moved_in")),
    "tenant_out": Handover("tenant", "cancel", _TENANCY, (*_TENANCY, "moved_out")),
    "employee_in": Handover("employee", "create", _EMPLOYMENT, (*_EMPLOYMENT, "position", "hired")),
    "employee_out": Handover("employee", "cancel", _EMPLOYMENT, (*_EMPLOYMENT, "left")),
    "guest_check_in": Handover("hotel_stay", "create", (), (
        "document_type", "document_number", "nationality", "name", "hotel_name", "hotel_unit_id", "address_code",
        "room", "checked_in", "checked_out")),
}
