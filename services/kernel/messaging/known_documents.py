"""Documents a batch knows without asking the server (批内已知文档): read ahead, read once, or written by ``_id``.

A projection's batch reads the documents its handlers will need in one query (Projection.prefetch); a handler
then reads, evolves and writes the same few documents, often several times in a batch (a person's registration
and move-in, a house's rental and its tenants). Each write by ``_id`` is applied here as the server will apply it
($set, $unset, $setOnInsert, $push, $inc; a replacement; an insert; a delete), so the next read of that document
is answered from memory instead of sending the queued writes and asking again. What cannot be followed exactly
(another operator, array filters, a write by another filter) forgets the document (or the collection), so a hit
is always what the server would answer; an answer goes through BSON (ms-precision dates, tuples as lists), as
the server's would.
"""

from __future__ import annotations

from typing import Any

import bson
from bson.codec_options import CodecOptions
from pymongo import DeleteMany, DeleteOne, InsertOne, ReplaceOne, UpdateMany, UpdateOne

UNKNOWN = object()  #: what this module cannot tell (a write's outcome it does not follow)


class KnownDocuments:
    """Per physical collection, ``_id`` → the document as the server would answer it now (None: not there)."""

    def __init__(self) -> None:
        self._known: dict[str, dict[Any, dict | None]] = {}
        self._codecs: dict[str, CodecOptions] = {}

    def learn(self, collection: str, documents: dict[Any, dict | None], codec: CodecOptions | None = None) -> None:
        """What the server answered (read ahead, or a read by ``_id``) for these ids."""
        self._known.setdefault(collection, {}).update(documents)
        if codec is not None:
            self._codecs[collection] = codec

    def get(self, collection: str, document_id: Any, projection: Any = None) -> tuple[bool, dict | None]:
        """(True, a fresh copy or None) when the document is known; (False, None) otherwise. A ``projection``
        (field → 0/1, top-level or dotted through subdocuments) is applied as the server would."""
        known = self._known.get(collection)
        if not known or document_id not in known:
            return False, None
        document = known[document_id]
        if document is None:
            return True, None
        copy = bson.decode(bson.encode(document), self._codecs.get(collection, CodecOptions(tz_aware=True)))
        if projection is None:
            return True, copy
        projected = project(copy, projection)
        return (False, None) if projected is UNKNOWN else (True, projected)

    def written(self, collection: str, operation: Any) -> tuple[Any, Any, Any]:
        """A write queued in this batch: follow it, or forget what it may touch. Returns (the ``_id`` it is about
        or None, the document before it, the document after it), each document None when not there and UNKNOWN
        when this module cannot tell."""
        key = _by_id(operation)
        known = self._known.get(collection)
        if known is None:
            if key is None or not isinstance(operation, (ReplaceOne, InsertOne)):
                return key, UNKNOWN, UNKNOWN
            known = self._known.setdefault(collection, {})  # a whole document written: known from now on
        if key is None:
            if not (isinstance(operation, InsertOne) and "_id" not in operation._doc):
                known.clear()  # a write by another filter may touch any document (an insert under a fresh id, none)
            return None, UNKNOWN, UNKNOWN
        before = known.get(key, UNKNOWN)
        after = _after(before, key, operation)
        if after is UNKNOWN:
            known.pop(key, None)
        else:
            known[key] = after
        return key, before, after

    def forget(self, collection: str) -> None:
        self._known.pop(collection, None)


def _by_id(operation: Any) -> Any:
    """The ``_id`` a write is about alone, or None (a filter on anything else, or an operator on ``_id``)."""
    where = operation._doc if isinstance(operation, InsertOne) else getattr(operation, "_filter", None)
    if isinstance(where, dict) and "_id" in where and not isinstance(where["_id"], dict):
        if isinstance(operation, InsertOne) or list(where) == ["_id"]:
            return where["_id"]
    return None


def _after(before: Any, key: Any, operation: Any) -> Any:
    """The document after ``operation`` (None: not there), or UNKNOWN."""
    if isinstance(operation, (DeleteOne, DeleteMany)):
        return None
    if isinstance(operation, InsertOne):
        return dict(operation._doc)
    if isinstance(operation, ReplaceOne):
        if before is UNKNOWN and not operation._upsert:
            return UNKNOWN
        if before is None and not operation._upsert:
            return None
        return {"_id": key, **{name: value for name, value in operation._doc.items() if name != "_id"}}
    if isinstance(operation, (UpdateOne, UpdateMany)):
        if before is UNKNOWN or operation._array_filters or not isinstance(operation._doc, dict):
            return UNKNOWN
        if before is None:
            return apply_update({"_id": key}, operation._doc, inserting=True) if operation._upsert else None
        return apply_update(before, operation._doc, inserting=False)
    return UNKNOWN


def apply_update(document: dict, update: dict, inserting: bool) -> Any:
    """``update``'s operators applied to a copy of ``document`` as the server applies them, or UNKNOWN. The
    values are shared with the queued operation, never changed: every subdocument on a written path is copied."""
    result = dict(document)
    if not all(isinstance(fields, dict) for fields in update.values()):
        return UNKNOWN
    # the server applies an update's fields in lexicographic order of their paths (MongoDB 5.0+): new fields are
    # appended in that order, whatever the order of the operators and fields written
    steps = sorted(((path.split("."), operator, value) for operator, fields in update.items()
                    for path, value in fields.items()), key=lambda step: step[0])
    for parts, operator, value in steps:
        if operator == "$setOnInsert" and not inserting:
            continue
        if "_id" == parts[0] or any(not part or part.isdigit() or part.startswith("$") for part in parts):
            return UNKNOWN
        parent = _parent(result, parts, create=operator != "$unset")
        if parent is UNKNOWN:
            return UNKNOWN
        last = parts[-1]
        if operator in ("$set", "$setOnInsert"):
            parent[last] = value
        elif operator == "$unset":
            if parent is not None:
                parent.pop(last, None)
        elif operator == "$push" and not (isinstance(value, dict) and any(k.startswith("$") for k in value)):
            current = parent.get(last, [])
            if not isinstance(current, list):
                return UNKNOWN
            parent[last] = [*current, value]
        elif operator == "$inc" and isinstance(value, (int, float)) and not isinstance(value, bool):
            current = parent.get(last, 0)
            if not isinstance(current, (int, float)) or isinstance(current, bool):
                return UNKNOWN
            parent[last] = current + value
        else:
            return UNKNOWN
    return result


def _parent(document: dict, parts: list[str], create: bool) -> Any:
    """The (copied) subdocument holding ``parts[-1]``: None when absent and not to be created, UNKNOWN when the
    path crosses something that is not a subdocument (an array: positional rules this module does not follow)."""
    node = document
    for part in parts[:-1]:
        child = node.get(part)
        if child is None and part not in node:
            if not create:
                return None
            child = {}
        elif not isinstance(child, dict):
            return UNKNOWN
        else:
            child = dict(child)
        node[part] = child
        node = child
    return node


def project(document: dict, projection: Any) -> Any:
    """A find projection (field → 0/1/bool, top-level or dotted through subdocuments) applied to ``document``."""
    if not isinstance(projection, dict) or not projection:
        return document if isinstance(projection, dict) else UNKNOWN
    keep_id = bool(projection.get("_id", True))
    fields = {path: value for path, value in projection.items() if path != "_id"}
    if any(not isinstance(value, (int, bool)) for value in projection.values()):
        return UNKNOWN
    including = any(bool(value) for value in fields.values())
    if including and not all(bool(value) for value in fields.values()):
        return UNKNOWN  # inclusion and exclusion mixed: the server refuses it
    if not fields and keep_id:  # {"_id": 1}: the id alone
        return {"_id": document["_id"]} if "_id" in document else {}
    if including:
        result: dict = {}
        for path in fields:
            found = _copy_path(document, result, path.split("."))
            if found is UNKNOWN:
                return UNKNOWN
        if keep_id and "_id" in document:
            result["_id"] = document["_id"]
        return {key: result[key] for key in document if key in result}  # the server answers in stored order
    result = dict(document)
    for path in fields:
        parent = _parent(result, path.split("."), create=False)
        if parent is UNKNOWN:
            return UNKNOWN
        if parent is not None:
            parent.pop(path.split(".")[-1], None)
    if not keep_id:
        result.pop("_id", None)
    return result


def _copy_path(source: dict, target: dict, parts: list[str]) -> Any:
    value: Any = source
    for part in parts:
        if not isinstance(value, dict):
            return UNKNOWN if isinstance(value, list) else None
        if part not in value:
            return None
        value = value[part]
    node = target
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return value
