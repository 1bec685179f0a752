"""Read-side helpers every context's views share: read-your-writes and the public shape of a document."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Awaitable, Callable

from fastapi import Query

from services.kernel.base.errors import DomainRuleViolation, NotFound
from services.kernel.messaging.read_models import ReadModels
from services.kernel.web.deps import wait_for_version

if TYPE_CHECKING:
    from services.kernel.web.authz import Caller

MinVersion = Annotated[int, Query(ge=0, le=10**12, description="wait until the read model has applied this stream "
                                                              "version (the `version` a command returned): read your own write")]


async def caught_up(reads: ReadModels, projection: str, stream_id: str, min_version: int, kind: str | None = None,
                    identifier: str | None = None, *, caller: Caller | None) -> None:
    """Wait for ``projection`` to reach ``min_version`` of ``stream_id``, unless that version was never written
    (404 for a stream never written, 422 for a version ahead of the stream: waiting could not help).

    The caller's jurisdiction is checked first, on the division the stream's last event carries (403, as a
    direct read would answer): nothing about a record outside it (how far its stream got) is told. ``caller``
    None is for a service's own waits on what is stored (a merge's survivor), never a caller's token."""
    if not min_version:
        return
    stored = await reads.store.current_version(stream_id)
    default_kind, _, default_id = stream_id.partition("-")
    if stored == 0:
        raise NotFound(kind or default_kind, identifier or default_id)
    if caller is not None:
        last = await reads.store.read_stream(stream_id, stored - 1)
        caller.require_within(last[-1].division_code if last else None, kind or default_kind)
    if stored < min_version:
        raise DomainRuleViolation("min_version", "min_version.ahead",
                                  f"{stream_id} is at version {stored}; version {min_version} was never written",
                                  f"{stream_id} 当前版本为 {stored}，不存在版本 {min_version}")
    await wait_for_version(stream_id, min_version, lambda: reads.applied_version(projection, stream_id),
                           reads.read_wait_seconds)


def public(document: dict | None, id_field: str = "code") -> dict | None:
    """Read-model document → API shape: the id under ``id_field`` and ``version``; storage fields dropped."""
    if document is None:
        return None
    document = dict(document)
    document[id_field] = document.pop("_id")
    if "_version" in document:
        document["version"] = document.pop("_version")
    for key in [key for key in document if key.startswith("_") or key == "sort_key"]:
        document.pop(key)
    return document


async def shown_one(caller: Caller, document: dict | None, kind: str, identifier: str, *, what: str | None = None,
                   logged_as: str | None = None) -> dict:
    """The one record a single-record read answers: 404 when there is none (``kind`` ``identifier``), 403 when it
    lies outside the caller's jurisdiction (named ``what``, default ``kind``), else the read logged (查询留痕) as
    ``logged_as`` (default ``kind``) under the id of the record shown (a merged record's survivor, when followed)."""
    if document is None:
        raise NotFound(kind, identifier)
    caller.require_within(document["division_code"], what or kind)
    await caller.accessed(logged_as or kind, document["_id"], document["division_code"])
    return document


After = Annotated[list[str], Query(description="read your writes on other streams (a cross-context view): "
                                               "`<stream_id>:<version>` as a command returned them, repeatable",
                                   examples=[["house-H0192f1a2b3c4:3"]])]


#: where a stream's record lies, as this service's read model knows it: (known, division_code)
Locate = Callable[[str], Awaitable[tuple[bool, str | None]]]


async def caught_up_after(reads: ReadModels, projection: str, tokens: list[str], *, caller: Caller,
                          locate: Locate) -> None:
    """Wait until ``projection`` has applied every ``<stream_id>:<version>`` token (422 for a malformed one).

    The streams may belong to other contexts, whose stores this service cannot read: a version never written
    is not told apart from one still travelling, and answers 503 with Retry-After when the wait runs out.
    A token naming a record outside the caller's jurisdiction answers 403 whatever its version, before and
    after the wait (``locate``: the record's division as this read model knows it), so no token tells how far
    another jurisdiction's stream got."""
    for token in tokens:
        stream_id, _, version = token.rpartition(":")
        if not stream_id or not version.isdigit():
            raise DomainRuleViolation("after", "after.format", f"{token!r} is not <stream_id>:<version>",
                                      f"{token!r} 不是 <流标识>:<版本> 格式")
        known, division = await locate(stream_id)
        if known:
            caller.require_within(division, stream_id.partition("-")[0])
        await wait_for_version(stream_id, int(version), lambda stream=stream_id: reads.applied_version(projection, stream),
                               reads.read_wait_seconds)
        if not known:
            known, division = await locate(stream_id)
            caller.require_within(division if known else None, stream_id.partition("-")[0])


def registry_locator(reads: ReadModels, projection: str, collection: str, kind: str) -> Locate:
    """A ``Locate`` for a registry read model keyed by record id (``<kind>-<id>`` streams, ``division_code``)."""

    async def locate(stream_id: str) -> tuple[bool, str | None]:
        stream_kind, _, identifier = stream_id.partition("-")
        if stream_kind != kind:
            return False, None
        document = await reads.read_model(projection, collection).find_one({"_id": identifier}, {"division_code": 1})
        return document is not None, (document or {}).get("division_code")

    return locate
