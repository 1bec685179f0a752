"""Agency records of declarations (信息申报 through the agency gate) as this context's own command.

An agency granted the ``declaration`` record type (a hotel's 旅馆业 system, a housing agency's landlord portal)
publishes declarations on its topic like any record; the gate checks its grant and forwards them to
``<ns>.ingest.ingest``, and here each becomes a pending declaration (the same ``declare`` the HTTP route runs, the
agency as the declarant, confined to its jurisdiction), answered with the declaration id. Police then verify or
reject it like any other declaration. Started as a background task of the ingest service.
"""

from __future__ import annotations

from pydantic import TypeAdapter

from services.agency.consumer import ingest_consumer
from services.agency.ingest import Applied, EntityHandler
from services.ingest.declarations.bootstrap import for_runtime
from services.ingest.declarations.commands import Declare

DECLARE = TypeAdapter(Declare)


async def declare(svc, _entity_id, fields: dict, ctx) -> Applied:
    accepted = await svc.declare(DECLARE.validate_python(fields), ctx)
    return Applied(accepted.declaration_id, accepted.stream_id, accepted.version)


HANDLERS = [EntityHandler("declaration", "declaration-", declare)]
consume_ingest = ingest_consumer("ingest", HANDLERS, for_runtime)
