"""Declarations' application service (信息申报): declare, verify, reject, keep the registry's answer.

Load, decide, append, like every context's; the event store is the ingest service's own. Handing a verified
declaration to its registry is not done here: the verified event carries the record, and the forwarder
(services.ingest.declarations.handover) publishes it once the event is on the ingest events topic, so a
verification stored is a verification handed over, even if this process dies right after.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

from contracts.ingest import IngestReply
from services.ingest.declarations.commands import Declare, DeclarationAccepted, Reject, Verify
from services.ingest.declarations.domain import Declaration, stream_id_of
from services.ingest.declarations.records import HANDOVERS
from services.ingest.declarations.settings import DeclarationSettings
from services.kernel.eventsourcing.aggregate import CommandContext
from services.kernel.eventsourcing.application import Application
from services.kernel.eventsourcing.ids import new_id


def _now() -> datetime:
    return datetime.now(timezone.utc)


class DeclarationService(Application):
    def __init__(self, store, claims, settings: DeclarationSettings, clock: Callable[[], datetime] = _now) -> None:
        super().__init__(store, claims)
        self.settings = settings
        self.clock = clock

    async def declare(self, command: Declare, ctx: CommandContext) -> DeclarationAccepted:
        """申报: the declarant's own division only (403 outside it); due for verification by the deadline."""
        ctx.require_within(command.division_code)
        now = self.clock().replace(microsecond=0)  # whole seconds: deadlines compare as stored (views.stamp)
        details = command.model_dump(mode="json", exclude={"kind", "division_code"})
        declaration = Declaration.declare(new_id("D"), command.kind, ctx.actor.id, command.division_code, details,
                                          now, now + self.settings.deadline(command.kind))
        await self.save(declaration, ctx)
        return self._accepted(declaration)

    async def verify(self, declaration_id: str, command: Verify, ctx: CommandContext) -> DeclarationAccepted:
        """核实: police of the declaration's division; the registry record travels with the event."""
        def decide(declaration: Declaration) -> None:
            handover = HANDOVERS[declaration.facts["kind"]]
            declaration.verify(ctx.actor, self.clock(), command.remark, handover.owner,
                               handover.record(declaration.declaration_id, declaration.division_code,
                                               declaration.facts["details"]))
        return self._accepted(await self.change(Declaration, stream_id_of(declaration_id), declaration_id,
                                                command.expected_version, decide, ctx))

    async def reject(self, declaration_id: str, command: Reject, ctx: CommandContext) -> DeclarationAccepted:
        """退回 with the reason."""
        return self._accepted(await self.change(
            Declaration, stream_id_of(declaration_id), declaration_id, command.expected_version,
            lambda declaration: declaration.reject(ctx.actor, self.clock(), command.reason), ctx))

    async def record_answer(self, declaration_id: str, reply: IngestReply, ctx: CommandContext) -> bool:
        """The registry's answer to a handed-over declaration, kept once (False: kept before, or not ours)."""
        declaration = await self.find(Declaration, stream_id_of(declaration_id))
        if declaration is None:
            return False
        if not declaration.answer(reply.reply_id, reply.status, reply.entity_type, reply.entity_id, reply.stream_id,
                                  reply.version, [reason.model_dump() for reason in reply.reasons]):
            return False
        await self.save(declaration, ctx)
        return True

    @staticmethod
    def _accepted(declaration: Declaration) -> DeclarationAccepted:
        return DeclarationAccepted(declaration_id=declaration.declaration_id, stream_id=declaration.id,
                                   version=declaration.version, state=declaration.state, due_at=declaration.facts.get("due_at"))
