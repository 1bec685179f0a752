"""Queries over the ``key_persons`` read model (重点人员)."""

from __future__ import annotations

from services.kernel.web.paging import Segment, Worklist, one_each, where_given
from services.kernel.web.reads import public
from services.kernel.messaging.read_models import ReadModels
from services.person.projections import REGISTRY


def key_persons(reads: ReadModels):
    return reads.read_model(REGISTRY, "key_persons")


async def key_person_by_id(reads: ReadModels, key_person_id: str) -> dict | None:
    return await key_persons(reads).find_one({"_id": key_person_id})


def list_key_persons(reads: ReadModels, scope: dict, state: str | None = None, person_id: str | None = None,
                     category_code: str | None = None) -> Worklist:
    query = {**scope, **where_given(state=state, person_id=person_id, category_code=category_code)}
    return Worklist.of(Segment(key_persons(reads), query, one_each(lambda document: public(document, "key_person_id"))))
