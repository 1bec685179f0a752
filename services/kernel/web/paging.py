"""Worklists people can work through (可翻页的工作清单): a cursor, a total, no hidden cap.

Every list route answers ``{total, items, next_cursor}`` and takes ``cursor`` and ``limit`` (default 100, at
most 1000 per page, as many pages as there are items). A worklist is one or more MongoDB finds (segments, e.g.
one per logic-error rule) walked in keyset order on a sort key ending with the unique ``_id``, so a deep page
costs what the first one does (never skip/offset). The cursor is opaque to callers: base64url of the segment,
the sort-key values of the last item's document and the item's place inside it (a house with two unchecked
rentals gives two rows). A cursor that does not decode, or names a segment or key this list does not have, is
422 ``cursor.invalid``.

``total`` is exact: ``count_documents`` of the same filter where every document is one item; where items are
judged when read (a group rental under the configured rule, an address retired in the replica) or a document
gives several, the whole list is counted by walking it on the first page, and that count travels in the cursor
to the later pages (a list judged when read has no cheaper exact count; the first page's moment is the one the
worklist was taken at).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections import Counter
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Annotated, Any, AsyncIterator, Awaitable, Callable

from bson import json_util
from fastapi import Query

from services.kernel.base.errors import DomainRuleViolation

PAGE_DEFAULT = 100
PAGE_MAX = 1000
CHUNK = 500
CURSOR_MAX_LENGTH = 2048
#: the cursor after a page ending at P-0190f5e28a4b7c3d9e1f (what next_cursor looks like)
EXAMPLE_CURSOR = "eyJzIjowLCJrIjpbIlAtMDE5MGY1ZTI4YTRiN2MzZDllMWYiXSwiaSI6MH0"

Limit = Annotated[int, Query(ge=1, le=PAGE_MAX, description="items per page (at most 1000; follow `next_cursor` "
                                                            "for the rest: nothing is cut off)")]
CursorParam = Annotated[str | None, Query(max_length=CURSOR_MAX_LENGTH,
                                          description="`next_cursor` of the previous page (opaque); none: the "
                                                      "first page", examples=[EXAMPLE_CURSOR])]

#: a chunk of documents → the items each gives (none: judged not on the list)
Rows = Callable[[list[dict]], Awaitable[list[list[dict]]]]


def one_each(shape: Callable[[dict], dict]) -> Rows:
    """Rows where each document gives one item, ``shape(document)``."""
    async def rows(documents: list[dict]) -> list[list[dict]]:
        return [[shape(document)] for document in documents]
    return rows


def where_given(**values: Any) -> dict[str, Any]:
    """The equality filters a caller gave, as a query (a filter left out matches every document)."""
    return {name: value for name, value in values.items() if value}


def many_each(shape: Callable[[dict], list[dict]]) -> Rows:
    """Rows where each document gives any number of items, ``shape(document)`` (a house's requests, a unit's key
    locations)."""
    async def rows(documents: list[dict]) -> list[list[dict]]:
        return [shape(document) for document in documents]
    return rows


@dataclass(frozen=True)
class Segment:
    """One MongoDB find of a worklist; ``sort`` must end with ``_id`` (unique) on fields every document has."""

    collection: Any
    query: dict
    rows: Rows
    sort: tuple[tuple[str, int], ...] = (("_id", 1),)
    projection: dict | None = None
    #: every document gives exactly one item, so ``count_documents(query)`` is the segment's total
    one_per_document: bool = True

    def __post_init__(self) -> None:
        if not self.sort or self.sort[-1][0] != "_id":
            raise ValueError("a worklist's sort key must end with _id (unique), or keyset paging could skip items")

    async def chunks(self, after: list | None, size: int) -> AsyncIterator[list[dict]]:
        """The documents at or after ``after`` in keyset order, ``size`` at a time."""
        query = self.query if after is None else {"$and": [self.query, keyset_after(self.sort, after)]}
        cursor = self.collection.find(query, self.projection).sort(list(self.sort)).batch_size(size)
        try:
            documents: list[dict] = []
            async for document in cursor:
                documents.append(document)
                if len(documents) >= size:
                    yield documents
                    documents = []
            if documents:
                yield documents
        finally:
            await cursor.close()

    async def count(self) -> int | None:
        """The exact number of items, where a count of documents is one (None: count them by walking)."""
        return await self.collection.count_documents(self.query) if self.one_per_document else None


@dataclass(frozen=True)
class Listed:
    """A list already in memory (folded from the archive as of a time), paged on a unique key of its items."""

    items: list[dict]
    key: str

    @property
    def sort(self) -> tuple[tuple[str, int], ...]:
        return ((self.key, 1),)

    one_per_document = True

    async def rows(self, documents: list[dict]) -> list[list[dict]]:
        return [[document] for document in documents]

    async def chunks(self, after: list | None, size: int) -> AsyncIterator[list[dict]]:
        ordered = sorted(self.items, key=lambda item: str(item[self.key]))
        if after is not None:
            ordered = [item for item in ordered if str(item[self.key]) >= str(after[0])]
        for begin in range(0, len(ordered), size):
            yield ordered[begin:begin + size]

    async def count(self) -> int | None:
        return len(self.items)


def in_order(items: list[dict], key: str = "rank") -> Listed:
    """A list already in the order it is read (best match first, newest first, ranked), paged in that order:
    each item gets its place as ``key`` (zero-padded, so the key's order is the list's)."""
    return Listed([{**item, key: f"{number:06d}"} for number, item in enumerate(items, start=1)], key)


@dataclass(frozen=True)
class Position:
    """Where an item lies: its segment, its document's sort-key values, its place among that document's items."""

    segment: int
    keys: list
    index: int
    total: int | None = None


def value_at(document: dict, path: str) -> Any:
    value: Any = document
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _canonical(value: Any) -> str:
    """BSON's canonical JSON: a datetime keeps its type (naive or aware, both UTC), an int its width."""
    return json_util.dumps(value, json_options=json_util.CANONICAL_JSON_OPTIONS, separators=(",", ":"))


def encode_cursor(position: Position) -> str:
    payload = {"s": position.segment, "k": position.keys, "i": position.index}
    if position.total is not None:
        payload["t"] = position.total
    raw = json_util.dumps(payload, json_options=json_util.RELAXED_JSON_OPTIONS, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode("utf-8")).rstrip(b"=").decode("ascii")


def _invalid(reason: str) -> DomainRuleViolation:
    return DomainRuleViolation("cursor", "cursor.invalid",
                               f"cursor is not a next_cursor of this list ({reason}); start again without a cursor",
                               f"翻页游标无效（{reason}），请不带 cursor 从第一页重新开始")


def decode_cursor(cursor: str, segments: int, keys_per_segment: list[int]) -> Position:
    """A cursor back to its position, or 422 ``cursor.invalid`` naming ``cursor``."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json_util.loads(raw.decode("utf-8"), json_options=json_util.RELAXED_JSON_OPTIONS)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as error:
        raise _invalid("not decodable") from error
    if not isinstance(payload, dict) or set(payload) - {"s", "k", "i", "t"}:
        raise _invalid("unknown shape")
    segment, keys, index, total = payload.get("s"), payload.get("k"), payload.get("i"), payload.get("t")
    if not isinstance(segment, int) or isinstance(segment, bool) or not 0 <= segment < segments:
        raise _invalid("unknown segment")
    if not isinstance(keys, list) or len(keys) != keys_per_segment[segment]:
        raise _invalid("wrong sort key")
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise _invalid("wrong item index")
    if total is not None and (not isinstance(total, int) or isinstance(total, bool) or total < 0):
        raise _invalid("wrong total")
    return Position(segment, keys, index, total)


def keyset_after(sort: tuple[tuple[str, int], ...], keys: list) -> dict:
    """Documents at or after ``keys`` in ``sort`` order (at: the document the cursor stopped inside)."""
    clauses = []
    for depth, (name, direction) in enumerate(sort):
        last = depth == len(sort) - 1
        operator = ("$gte" if last else "$gt") if direction == 1 else ("$lte" if last else "$lt")
        clause = {sort[i][0]: keys[i] for i in range(depth)}
        clause[name] = {operator: keys[depth]}
        clauses.append(clause)
    return clauses[0] if len(clauses) == 1 else {"$or": clauses}


@dataclass(frozen=True)
class Worklist:
    """A list walked segment after segment, each in keyset order."""

    segments: tuple[Segment | Listed, ...]
    chunk: int = CHUNK
    extra: dict = field(default_factory=dict)

    @classmethod
    def of(cls, *segments: Segment | Listed) -> "Worklist":
        return cls(tuple(segments))

    def decode(self, cursor: str | None) -> Position | None:
        if cursor is None:
            return None
        return decode_cursor(cursor, len(self.segments), [len(s.sort) for s in self.segments])

    async def walk(self, start: Position | None = None, chunk: int | None = None
                   ) -> AsyncIterator[tuple[Position, dict]]:
        """Every item from ``start`` (excluded) on, with its position."""
        size = max(1, chunk or self.chunk)
        first = start.segment if start else 0
        for number in range(first, len(self.segments)):
            segment = self.segments[number]
            resume = start if start is not None and number == start.segment else None
            async with aclosing(segment.chunks(resume.keys if resume else None, size)) as chunks:
                async for documents in chunks:
                    async for found in self._rows(number, segment, documents, resume):
                        yield found

    async def _rows(self, number: int, segment: Segment | Listed, documents: list[dict], resume: Position | None
                    ) -> AsyncIterator[tuple[Position, dict]]:
        for document, items in zip(documents, await segment.rows(documents)):
            keys = [value_at(document, name) for name, _ in segment.sort]
            skip_to = resume.index if resume is not None and _canonical(keys) == _canonical(resume.keys) else -1
            for index, item in enumerate(items):
                if index > skip_to:
                    yield Position(number, keys, index), item

    async def items(self) -> AsyncIterator[dict]:
        """The whole list, for an export."""
        async for _position, item in self.walk():
            yield item

    async def total(self) -> int:
        counted = 0
        for segment in self.segments:
            exact = await segment.count()
            counted += exact if exact is not None else await _walked(Worklist((segment,), self.chunk))
        return counted

    async def page(self, cursor: str | None, limit: int = PAGE_DEFAULT, total: int | None = None) -> dict[str, Any]:
        """``{total, items, next_cursor}`` (next_cursor None on the last page); ``total`` when already counted.
        The count runs beside the page's own read (two queries in flight, not one after the other)."""
        start = self.decode(cursor)
        exact_each_time = total is not None or all(segment.one_per_document for segment in self.segments)
        carried = start.total if start is not None else None
        counting = None if total is not None or carried is not None else asyncio.ensure_future(self.total())
        try:
            items, last, more = await self._items_after(start, limit)
        except BaseException:
            if counting is not None:
                counting.cancel()
            raise
        counted = total if total is not None else carried if carried is not None else await counting
        next_cursor = None
        if more and last is not None:
            next_cursor = encode_cursor(Position(last.segment, last.keys, last.index,
                                                 None if exact_each_time else counted))
        return {**self.extra, "total": counted, "items": items, "next_cursor": next_cursor}

    async def _items_after(self, start: Position | None, limit: int) -> tuple[list[dict], Position | None, bool]:
        """Up to ``limit`` items after ``start``, the last one's position, and whether any item follows."""
        items: list[dict] = []
        last: Position | None = None
        async with aclosing(self.walk(start, chunk=min(limit + 1, self.chunk))) as walked:
            async for position, item in walked:
                if len(items) >= limit:
                    return items, last, True
                items.append(item)
                last = position
        return items, last, False


async def _walked(worklist: Worklist) -> int:
    counted = 0
    async for _item in worklist.items():
        counted += 1
    return counted


async def counts_per_division(worklist: Worklist) -> tuple[int, dict[str, dict[str, int]]]:
    """The whole list counted, and per division and rule (items carrying ``division_code`` and ``rule``)."""
    counts: Counter[tuple[str, str]] = Counter()
    async for item in worklist.items():
        counts[(item.get("division_code") or "unknown", item.get("rule") or "")] += 1
    per_division: dict[str, dict[str, int]] = {}
    for (division, rule), count in sorted(counts.items()):
        per_division.setdefault(division, {})[rule] = count
    return sum(counts.values()), per_division


async def offset_page(worklist: Worklist, page: int, page_size: int) -> dict[str, Any]:
    """The old ``page=``/``page_size=`` paging of a one-segment list, kept for callers that use it (a deep page
    costs a skip: new callers follow ``next_cursor``)."""
    segment = worklist.segments[0]
    assert isinstance(segment, Segment)
    found = segment.collection.find(segment.query, segment.projection).sort(list(segment.sort))
    documents = await found.skip((page - 1) * page_size).limit(page_size).to_list(None)
    items = [item for row in await segment.rows(documents) for item in row]
    return {"total": await worklist.total(), "items": items, "next_cursor": None, "page": page,
            "page_size": page_size}
