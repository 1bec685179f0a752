"""Agency records of residences (居住登记, 人房关联): a person lives at a standard address from a day on.

A ``residence`` record is the registry's own 入住 command (``MoveIn``, POST /v1/persons/{person_id}/residence)
plus the ``person_id`` the route takes from its path, so it is validated by the same model and decided by the
same application code (``PersonService.move_in``): the address through this service's replica, the person's
rules (active, not before birth or the current residence, not the address already lived at). Many at once
(``move_in_many``) where an initial load sends them by the thousand. The entity is the person: an accepted
answer names the person id and the version of the person's stream the residence was written at; a person id
that names no one is refused on ``person_id`` (the route answers 404 on its path).
"""

from __future__ import annotations

from pydantic import Field

from services.agency.ingest import Applied, reject
from services.kernel.base.errors import NotFound
from services.kernel.eventsourcing.bulk import parsed_many
from services.person.commands import MoveIn


class ResidenceRecord(MoveIn):
    """居住登记 as an agency sends it: ``MoveIn`` of the person ``person_id`` (the registry's answer names it)."""

    person_id: str = Field(min_length=1, max_length=64, description="人员编号 (the person registry's person id)",
                           examples=["P-0192f1a2b3c4"])


def _applied(accepted) -> Applied:
    return Applied(accepted.person_id, accepted.stream_id, accepted.version)


def _named(refusal: Exception) -> Exception:
    if isinstance(refusal, NotFound) and refusal.kind == "person":
        return reject("person_id", "person.not_found", f"person {refusal.identifier!r} not found",
                      f"人员 {refusal.identifier} 不存在")
    return refusal


async def move_in(svc, _entity_id, fields: dict, ctx) -> Applied:
    record = ResidenceRecord.model_validate(fields)
    try:
        return _applied(await svc.move_in(record.person_id, record, ctx))
    except NotFound as refusal:
        raise _named(refusal) from None


async def move_in_many(svc, items: list[tuple[dict, object]]) -> list[Applied | Exception]:
    """Many residences at once (历史数据导入): each answered as ``move_in`` would answer it."""
    outcomes = await parsed_many(items, ResidenceRecord.model_validate,
                                 lambda commands: svc.move_in_many([(record.person_id, record, ctx)
                                                                    for record, ctx in commands]), _applied)
    return [_named(outcome) if isinstance(outcome, Exception) else outcome for outcome in outcomes]
