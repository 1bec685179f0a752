"""Agency records applied many at a time (历史数据导入, an initial load): the same answers, a few round trips.

``IngestApplier.apply`` costs about ten database round trips per record (stored answer, ingest claim, record
map, document claim, append, claim hand-over, record map, stored answer, claim hand-over). Here the creates of
one poll share them: every step is one bulk operation for the whole set, and the registry's ``create_many``
(e.g. ``PersonService.register_many``) appends every new record in one unordered insert. Each record is still
answered on its own, exactly as ``apply`` would answer it (accepted with its entity, or rejected with the
registry's reasons), and still at most once per (agency, record id, content hash):

- a record with a stored answer gets it again; a record this agency created before (its resend is an update),
  a record whose ingest claim another attempt holds (a redelivery after a crash: ``apply`` recovers it from the
  events' causation ids) and everything that is not a create are left to ``apply``, one by one;
- the ingest claims are taken with one token for the set; a rejected record's claim is released, an accepted
  record's answer is stored and its claim handed to ``applied``; a record whose command failed for a reason
  that is not the record's (a bug, a dependency) keeps its claim and is left to ``apply`` (which answers from
  the events if it was appended after all, or takes the claim over once stale and retries);
- a failure of the store for the whole set raises with the claims kept, like ``apply``: the redelivery finds
  the events already written by their causation id and answers from them.
"""

from __future__ import annotations

import uuid
from collections import Counter

from pymongo import UpdateOne
from pymongo.errors import BulkWriteError

from contracts.ingest import IngestCommand, IngestReply
from services.agency.ingest import (
    APPLIED, INGEST_RECORDS, RECORDS, REPLIES, Applied, IngestApplier, reasons_of, record_mapping,
)
from services.kernel.eventsourcing.claims import PENDING


def batchable(applier: IngestApplier, commands: list[IngestCommand]) -> list[int]:
    """Indexes of the creates the batch path may take: a type with ``create_many``, one delivery per record."""
    deliveries = Counter((command.agency, command.record.record_id) for command in commands)
    return [index for index, command in enumerate(commands)
            if command.record.operation == "create" and deliveries[(command.agency, command.record.record_id)] == 1
            and getattr(applier.handlers.get(command.record.entity_type), "create_many", None) is not None]


async def apply_many(applier: IngestApplier, commands: list[IngestCommand]) -> dict[int, IngestReply]:
    """Answers for the creates among ``commands`` the batch path could settle, by index; the rest is ``apply``'s."""
    answers: dict[int, IngestReply] = {}
    candidates = {index: commands[index] for index in batchable(applier, commands)}
    if not candidates:
        return answers
    stored = {doc["_id"]: doc["reply"] async for doc in applier.db[REPLIES].find(
        {"_id": {"$in": [command.claim_key for command in candidates.values()]}})}
    for index, command in list(candidates.items()):
        if command.claim_key in stored:
            answers[index] = applier._reply(command, stored[command.claim_key])
            del candidates[index]
    created = {doc["_id"] async for doc in applier.db[RECORDS].find(
        {"_id": {"$in": [_record_key(command) for command in candidates.values()]}}, {"_id": 1})}
    token = f"{PENDING}{uuid.uuid4()}"
    holders = await applier.claims.take_many(
        [command.claim_key for command in candidates.values() if _record_key(command) not in created], token)
    mine = {index: command for index, command in candidates.items() if holders.get(command.claim_key) == token}
    by_type: dict[str, list[int]] = {}
    for index, command in mine.items():
        by_type.setdefault(command.record.entity_type, []).append(index)
    applied: dict[int, Applied] = {}
    released: list[str] = []
    for entity_type, indexes in by_type.items():
        outcomes = await applier.handlers[entity_type].create_many(
            applier.service, [applier.command_input(mine[index]) for index in indexes])
        for index, outcome in zip(indexes, outcomes):
            command = mine[index]
            if isinstance(outcome, Applied):
                applied[index] = outcome
                continue
            reasons = reasons_of(outcome)
            if reasons is not None:
                released.append(command.claim_key)
                answers[index] = applier._rejected(command, reasons)
            # else: not the record's fault, and it may have been appended: the claim stays and ``apply`` settles
            # it from the events' causation id, or takes it over once stale
    await applier.claims.release_many(released, token)
    answers.update(await _settle_many(applier, {index: (mine[index], done) for index, done in applied.items()}, token))
    return answers


def _record_key(command: IngestCommand) -> str:
    return f"{command.agency}:{command.record.record_id}"


async def _settle_many(applier: IngestApplier, applied: dict[int, tuple[IngestCommand, Applied]],
                       token: str) -> dict[int, IngestReply]:
    """``IngestApplier._settle`` for many: the record map, the stored answers and the claims, one write each."""
    if not applied:
        return {}
    replies = {index: applier.accepted(command, done) for index, (command, done) in applied.items()}
    await applier.db[RECORDS].bulk_write([UpdateOne(
        {"_id": _record_key(command)}, record_mapping(command, done), upsert=True)
        for command, done in applied.values()], ordered=False)
    try:
        await applier.db[REPLIES].insert_many([{"_id": command.claim_key, "reply": replies[index].model_dump(mode="json")}
                                               for index, (command, _) in applied.items()], ordered=False)
    except BulkWriteError as error:  # an answer stored by an earlier attempt stays
        if any(item.get("code") != 11000 for item in error.details.get("writeErrors", [])):
            raise
    await applier.claims.rekey_many([(command.claim_key, APPLIED) for command, _ in applied.values()], token)
    for command, _ in applied.values():
        INGEST_RECORDS.labels(applier.context, command.agency, "accepted").inc()
    return replies
