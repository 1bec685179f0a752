"""Agency records applied by the registry that owns them (社会化采集): one mechanism for every context.

The ingest gate (services/ingest) checks what is the agency's business and forwards each accepted record as
an ``IngestCommand`` to ``<ns>.<context>.ingest``. Here the owning context maps it to its own command, runs
its own application service (the same rules as its routes, not a copy) with an agency ``CommandContext`` and
answers on the agency's replies topic, keyed by the agency's record id (services.agency.consumer runs it).

At most once per (agency, record id, content hash): the triple is a claim (services.kernel.eventsourcing.claims) taken
before the command runs; an accepted answer is stored under it (``ingest_replies``), so a redelivery or a
resend gets the same answer without running the command again. A rejected answer is not stored and its
claim is released: a resend is judged again (the address may exist by now). The agency's record id maps to
the entity it created (``ingest_records``), so its update or cancel finds it. Every event the command stores
carries the triple as its causation id: a consumer that died between the append and the stored answer finds
the event on redelivery and answers from it instead of applying twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable

from prometheus_client import Counter
from pydantic import ValidationError
from pymongo.errors import DuplicateKeyError

from contracts.envelope import Actor, Channel
from contracts.ingest import IngestCommand, IngestReply, Reason
from contracts.ingest_types import RECORD_TYPES
from services.kernel.base.errors import (
    ConcurrencyConflict, DomainRuleViolation, Forbidden, NotFound, StateConflict,
)
from services.kernel.base.logging import get_logger
from services.kernel.base.masking import scrub_text, visibility
from services.kernel.eventsourcing.aggregate import CommandContext
from services.kernel.eventsourcing.claims import PENDING
from services.kernel.eventsourcing.eventstore import EVENTS
from services.kernel.web.authz import Scope, describe

log = get_logger(__name__)

INGEST_RECORDS = Counter("ybss_ingest_records_total", "Agency records answered, by context, agency and outcome",
                         ["context", "agency", "outcome"])
INGEST_REJECTS = Counter("ybss_ingest_rejects_total", "Agency records rejected, by agency and rule", ["agency", "rule"])

#: a pending claim this old belongs to an attempt that died (a running one finishes in well under a second)
ABANDONED_CLAIM_SECONDS = 10.0
REPLIES = "ingest_replies"  #: claim key → the accepted answer
RECORDS = "ingest_records"  #: "<agency>:<record id>" → the entity the agency's record created
APPLIED = "applied"  #: claim owner once the answer is stored


@dataclass(frozen=True)
class Applied:
    """What a command did: the entity, its stream and the version written."""

    entity_id: str
    stream_id: str
    version: int


Operation = Callable[[Any, str | None, dict, CommandContext], Awaitable[Applied]]
ManyCreate = Callable[[Any, list[tuple[dict, CommandContext]]], Awaitable[list["Applied | Exception"]]]


@dataclass(frozen=True)
class EntityHandler:
    """How one entity type's records become the owning context's commands.

    ``create(service, None, fields, ctx)``; ``update``/``cancel(service, entity_id, fields, ctx)``; an operation
    left None is refused with ``operation.unsupported``. ``stream_prefix`` turns a stream id back into the
    entity id (recovery from the event store)."""

    entity_type: str
    stream_prefix: str
    create: Operation
    update: Operation | None = None
    cancel: Operation | None = None
    #: many creates at once (an initial load, services.agency.ingest_batch): per (fields, ctx) its Applied or
    #: the exception ``create`` would have raised; raises only when the store failed for the whole batch
    create_many: ManyCreate | None = None
    #: the entity id from the last stored event a record caused (recovery), when it is not the stream id
    #: without ``stream_prefix`` (a rental is ``<house_id>/<rental_id>``)
    entity_of: Callable[[dict], str] | None = None

    def recovered(self, event: dict) -> str:
        return self.entity_of(event) if self.entity_of else event["stream_id"].removeprefix(self.stream_prefix)


class IngestRejected(Exception):
    """A record the registry refuses, with every reason."""

    def __init__(self, reasons: list[Reason]) -> None:
        super().__init__("; ".join(f"{r.field}: {r.rule}" for r in reasons))
        self.reasons = reasons


#: what an agency may see of the values a refusal quotes (services.kernel.base.masking)
AGENCY_SEES = visibility("agency", True)


def reject(field: str, rule: str, msg: str, msg_zh: str) -> IngestRejected:
    return IngestRejected([Reason(field=field, rule=rule, msg=msg, msg_zh=msg_zh)])


def reasons_of(error: Exception) -> list[Reason] | None:
    """The reasons a command's refusal gives (the 422/409/403/404 detail it would answer), None for a failure
    that is not the record's fault (a dependency is down: retry). An agency reads them (its replies topic, its
    batch status and error workbook), so an ID number or phone a message quotes is masked as for an agency."""
    reasons = _reasons_of(error)
    if reasons is None:
        return None
    return [reason.model_copy(update={"msg": scrub_text(reason.msg, AGENCY_SEES),
                                      "msg_zh": scrub_text(reason.msg_zh, AGENCY_SEES)}) for reason in reasons]


def _reasons_of(error: Exception) -> list[Reason] | None:
    if isinstance(error, IngestRejected):
        return error.reasons
    if isinstance(error, DomainRuleViolation):
        return [Reason(field=error.field, rule=error.rule, msg=error.message, msg_zh=error.message_zh or "")]
    if isinstance(error, ValidationError):
        return [Reason(field=".".join(str(part) for part in item["loc"]), rule=item["type"], msg=item["msg"],
                       msg_zh=_zh(item)) for item in error.errors()]
    if isinstance(error, StateConflict):
        return [Reason(field="", rule=error.rule, msg=error.message, msg_zh=error.message_zh or "")]
    if isinstance(error, Forbidden):
        return [Reason(field="division_code", rule="jurisdiction.outside", msg=error.message,
                       msg_zh=error.message_zh or "")]
    if isinstance(error, NotFound):
        return [Reason(field="record_id", rule=f"{error.kind}.not_found", msg=str(error),
                       msg_zh=f"{error.kind} {error.identifier} 不存在")]
    if isinstance(error, ConcurrencyConflict):
        return [Reason(field="", rule="version.conflict", msg=str(error), msg_zh="记录已被他人修改，请重新发送")]
    return None


_ZH = {"missing": "缺少必填字段", "extra_forbidden": "不允许的字段", "string_too_long": "内容过长",
       "string_too_short": "内容过短或为空", "literal_error": "不在代码表内", "enum": "不在代码表内",
       "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD", "date_parsing": "日期格式应为 YYYY-MM-DD",
       "bool_parsing": "应为 是/否", "float_parsing": "应为数字", "int_parsing": "应为整数",
       "greater_than": "数值过小", "less_than_equal": "数值过大", "union_tag_invalid": "类别不在代码表内",
       "union_tag_not_found": "缺少类别", "string_type": "应为文本"}


def _zh(item: dict) -> str:
    ctx = item.get("ctx") or {}
    return str(ctx.get("msg_zh") or _ZH.get(item["type"], "字段不符合标准"))


def agency_context(agency: str, jurisdiction: str, correlation_id: str, causation_id: str) -> CommandContext:
    """The agency as the actor (channel agency), confined to its jurisdiction like a caller's token."""
    actor = Actor(id=agency, role="agency", organisation_code=jurisdiction, channel=Channel.agency)
    scope = Scope.of(actor)

    def within(division_code: str | None) -> None:
        if not scope.covers(division_code):
            raise Forbidden(f"record belongs to division {describe(division_code or '?')}, outside agency "
                            f"{agency}'s jurisdiction {scope}",
                            f"该记录属于 {describe(division_code or '?')}，不在机构 {agency} 的辖区 {scope} 内",
                            record_division=division_code, caller_scope=scope.prefix)

    return CommandContext(actor=actor, correlation_id=correlation_id, causation_id=causation_id, jurisdiction=within)


async def run_steps(steps: list[Callable[[], Awaitable[Any]]]) -> Any:
    """An update's commands in order (a whole record resent with one change: the commands whose fields did not
    change refuse as ``*unchanged``/``*same*``, which is not an error); the last answer, or that refusal when
    nothing changed at all."""
    accepted, unchanged = None, None
    for step in steps:
        try:
            accepted = await step()
        except DomainRuleViolation as error:
            if "unchanged" not in error.rule and "same" not in error.rule:
                raise
            unchanged = unchanged or error
    if accepted is None:
        raise unchanged
    return accepted


def named_entity(record) -> str | None:
    """The entity a record names by its type's id fields (contracts/ingest_types.py ``entity_id``, e.g. a tenant's
    ``house_id/rental_id/person_id``), when it names every one. The gate never lets an agency's update or cancel
    carry them, so only declarations (信息申报, which bypass the gate) end a tenancy or an employment they did not
    create this way; everything else still needs the record the agency created (``record.unknown``)."""
    kind = RECORD_TYPES.get(record.entity_type)
    names = kind.entity_id.split("/") if kind is not None and kind.entity_id else []
    values = [record.fields.get(name) for name in names]
    if not names or not all(isinstance(value, str) and value for value in values):
        return None
    return "/".join(values)


def record_mapping(command: IngestCommand, applied: Applied) -> dict:
    """The agency's record → its entity, and what the agency last said of it (an update may restate it)."""
    update: dict = {"$setOnInsert": {"entity_id": applied.entity_id, "entity_type": command.record.entity_type,
                                     "at": datetime.now(timezone.utc)}}
    said = {f"fields.{name}": value for name, value in command.record.fields.items()}
    if said and command.record.operation != "cancel":
        update["$set"] = said
    return update


def restated(command: IngestCommand, fields: dict, said: dict) -> dict:
    """An update's fields for its command: the ones the update applies. A create's field it does not apply
    (contracts/ingest_types.py ``restates``) may come along unchanged — what the agency's last accepted record
    said — and is left out; a changed one is refused by name (``field.not_permitted``), never dropped."""
    kind = RECORD_TYPES[command.record.entity_type]
    applies = kind.applies("update")
    applied = set(applies.fields if applies else ())
    changed = [name for name in sorted(set(fields) - applied)
               if name not in command.record.fields or name not in said or said[name] != command.record.fields[name]]
    changed = [name for name in changed if name in command.record.fields]  # a linked address_code follows its text
    if changed:
        raise IngestRejected([Reason(
            field=name, rule="field.not_permitted",
            msg=f"an update of a {kind.entity_type} cannot change {name!r} (only {', '.join(sorted(applied))})",
            msg_zh=f"{kind.title.split()[0]} 的更新不能修改字段 {name}") for name in changed])
    return {name: value for name, value in fields.items() if name in applied}


class IngestApplier:
    """Applies one context's ingest commands at most once and answers each (no Kafka: testable alone)."""

    def __init__(self, context: str, db, claims, handlers: dict[str, EntityHandler], service: Any) -> None:
        self.context = context
        self.db = db
        self.claims = claims
        self.handlers = handlers
        self.service = service

    async def apply(self, command: IngestCommand) -> IngestReply:
        """The answer to ``command``: the stored one if it was applied before; raises on infrastructure failure."""
        key = command.claim_key
        stored = await self.db[REPLIES].find_one({"_id": key})
        if stored is not None:
            return self._reply(command, stored["reply"])
        token = f"{PENDING}{uuid.uuid4()}"
        holder = await self.claims.take(key, token)
        if holder != token:
            recovered = await self._recover(command, holder)
            if recovered is not None:
                return recovered
            if await self.claims.take(key, token) != token:
                raise RuntimeError(f"ingest claim {key} is held by {holder}; retrying later")
        try:
            applied = await self._run(command)
        except Exception as error:
            reasons = reasons_of(error)
            if reasons is None:
                raise  # the claim stays: the command may have appended before failing (see _recover)
            await self.claims.release(key, token)
            return self._rejected(command, reasons)
        return await self._settle(command, token, applied)

    async def _run(self, command: IngestCommand) -> Applied:
        record = command.record
        handler = self.handlers.get(record.entity_type)
        if handler is None:
            raise reject("entity_type", "entity_type.unknown", f"{self.context} does not register {record.entity_type!r}",
                         f"{self.context} 不登记 {record.entity_type}")
        mapping = await self.db[RECORDS].find_one({"_id": f"{command.agency}:{record.record_id}"})
        entity_id = mapping["entity_id"] if mapping else None
        operation = record.operation
        if operation == "create" and entity_id is not None:
            operation = "update"  # the agency resent a record it created before, with new content
        action = {"create": handler.create, "update": handler.update, "cancel": handler.cancel}[operation]
        if action is None:
            raise reject("operation", "operation.unsupported", f"{record.entity_type} records cannot be {operation}d "
                         "by an agency", f"机构不能对{record.entity_type}执行 {operation}")
        if operation != "create" and entity_id is None:
            entity_id = named_entity(record)  # a declared move-out of a tenancy the police registered
        if operation != "create" and entity_id is None:
            raise reject("record_id", "record.unknown", f"record {record.record_id!r} was never created by "
                         f"{command.agency}", f"本机构未曾新增记录 {record.record_id}")
        fields, ctx = self.command_input(command)
        if operation == "update":
            fields = restated(command, fields, (mapping or {}).get("fields") or {})
        return await action(self.service, entity_id, fields, ctx)

    @staticmethod
    def command_input(command: IngestCommand) -> tuple[dict, CommandContext]:
        """The record's fields as its registry's command takes them (a linked address as its code), and the
        agency's command context (its events carry the claim key as causation id)."""
        fields = dict(command.record.fields)
        if command.address_link is not None:
            fields.pop("address_text", None)
            fields["address_code"] = command.address_link.address_code
        ctx = agency_context(command.agency, command.jurisdiction, command.batch_id or command.claim_key,
                             command.claim_key)
        return fields, ctx

    @staticmethod
    def accepted(command: IngestCommand, applied: Applied) -> IngestReply:
        return IngestReply(agency=command.agency, record_id=command.record.record_id, status="accepted",
                           entity_type=command.record.entity_type, operation=command.record.operation, entity_id=applied.entity_id,
                           stream_id=applied.stream_id, version=applied.version, content_hash=command.content_hash,
                           batch_id=command.batch_id, row=command.row, address_link=command.address_link)

    async def _settle(self, command: IngestCommand, token: str, applied: Applied) -> IngestReply:
        reply = self.accepted(command, applied)
        await self.db[RECORDS].update_one(
            {"_id": f"{command.agency}:{command.record.record_id}"}, record_mapping(command, applied), upsert=True)
        try:
            await self.db[REPLIES].insert_one({"_id": command.claim_key, "reply": reply.model_dump(mode="json")})
        except DuplicateKeyError:
            pass
        await self.claims.rekey(command.claim_key, token, APPLIED)
        INGEST_RECORDS.labels(self.context, command.agency, "accepted").inc()
        return reply

    async def _recover(self, command: IngestCommand, holder: str) -> IngestReply | None:
        """An earlier attempt holds the claim: it finished (answer stored), it failed or died after appending
        (its events carry the claim key as causation id: answer from them), it is still running (a consumer that
        lost the partition in a rebalance: wait for it), or it died before appending (its claim is taken over
        once ``ABANDONED_CLAIM_SECONDS`` old). Rare, so the lookup by causation id may scan."""
        stored = await self.db[REPLIES].find_one({"_id": command.claim_key})
        if stored is not None:
            return self._reply(command, stored["reply"])
        last = await self.db[EVENTS].find_one({"causation_id": command.claim_key}, sort=[("recorded_at", -1)])
        if last is not None:
            handler = self.handlers[command.record.entity_type]
            applied = Applied(handler.recovered(last), last["stream_id"], last["version"])
            return await self._settle(command, holder, applied)
        if holder.startswith(PENDING) and not await self.claims.release_if_stale(
                command.claim_key, holder, ABANDONED_CLAIM_SECONDS):
            # maybe still running: a consumer that lost this partition in a rebalance finishes what it holds
            raise RuntimeError(f"ingest claim {command.claim_key} is held by a running attempt; retrying")
        return None

    def _reply(self, command: IngestCommand, stored: dict) -> IngestReply:
        """The stored answer, for the batch and row this delivery came with."""
        INGEST_RECORDS.labels(self.context, command.agency, "repeated").inc()
        return IngestReply.model_validate({**stored, "batch_id": command.batch_id, "row": command.row,
                                           "operation": command.record.operation})

    def _rejected(self, command: IngestCommand, reasons: list[Reason]) -> IngestReply:
        INGEST_RECORDS.labels(self.context, command.agency, "rejected").inc()
        for reason in reasons:
            INGEST_REJECTS.labels(command.agency, reason.rule).inc()
        return IngestReply(agency=command.agency, record_id=command.record.record_id, status="rejected",
                           entity_type=command.record.entity_type, operation=command.record.operation, content_hash=command.content_hash,
                           batch_id=command.batch_id, row=command.row, reasons=reasons,
                           address_link=command.address_link)
