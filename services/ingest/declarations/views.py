"""Declarations as police and declarants read them (申报台账, 待核实清单, 逾期清单).

Police and supervisors see the declarations of their jurisdiction; a declarant sees only its own. Pending ones
come oldest deadline first, each with ``overdue`` (past its deadline, still not verified); ``overdue=true``
lists only those (逾期未核实).
"""

from __future__ import annotations

from datetime import datetime, timezone

from services.ingest.declarations.projection import DECLARATIONS, READ_MODEL
from services.kernel.web.jurisdiction import narrowed
from services.kernel.web.paging import Segment, Worklist, one_each, where_given

SHOWN = ("declaration_id", "kind", "state", "declarant", "declarant_kind", "division_code", "details", "remark",
         "declared_at", "due_at", "decided_by", "decided_at", "reason", "registry")


def stamp(moment: datetime) -> str:
    """A moment as the read model stores it (UTC, whole seconds), so deadlines compare as strings."""
    return moment.astimezone(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def shaped(doc: dict, now: str) -> dict:
    item = {name: doc.get(name) for name in SHOWN}
    item["overdue"] = doc.get("state") == "pending" and doc.get("due_at", now) < now
    item["version"] = doc.get("_version")
    return item


def visible(caller) -> dict:
    """A declarant its own declarations; everyone else those of their jurisdiction."""
    if caller.actor.role == "agency":
        return {"declarant": caller.actor.id}
    return caller.scope_query("division_code")


def declarations(reads, caller, state: str | None, division_code: str | None, kind: str | None,
                 overdue: bool, now: datetime, registry: str | None = None) -> Worklist:
    """The declarations the caller may see, narrowed to a division, a state, a kind, the registry's answer (a
    verified declaration the registry refused is police work again), or the overdue ones."""
    at = stamp(now)
    conditions = [narrowed(visible(caller), division_code),
                  where_given(state=state, kind=kind, **{"registry.status": registry}),
                  {"state": "pending", "due_at": {"$lt": at}} if overdue else {}]
    query = {"$and": [condition for condition in conditions if condition]}
    return Worklist.of(Segment(reads.read_model(READ_MODEL, DECLARATIONS), query if query["$and"] else {},
                               one_each(lambda doc: shaped(doc, at)), sort=(("due_at", 1), ("_id", 1))))
