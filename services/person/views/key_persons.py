"""Queries over the ``key_persons`` read model (重点人员)."""

from __future__ import annotations

from services.kernel.runtime import Runtime
from services.person.projections import REGISTRY
from services.person.views.persons import PAGE_MAX


def key_persons(rt: Runtime):
    return rt.read_model(REGISTRY, "key_persons")


async def key_person_by_id(rt: Runtime, key_person_id: str) -> dict | None:
    return await key_persons(rt).find_one({"_id": key_person_id})


async def list_key_persons(rt: Runtime, scope: dict, state: str | None = None, person_id: str | None = None,
                           category_code: str | None = None, limit: int = 50) -> list[dict]:
    query = dict(scope)
    for field, value in (("state", state), ("person_id", person_id), ("category_code", category_code)):
        if value:
            query[field] = value
    return await key_persons(rt).find(query).sort("_id", 1).limit(min(limit, PAGE_MAX)).to_list(None)
