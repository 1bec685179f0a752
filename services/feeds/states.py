"""A registry document as a feed message (订阅消息): the record's public state, masked for one grant.

The state is what the registry holds minus its bookkeeping (keys starting ``_``) and its search aids (a reversed
ID number is still an ID number); personal data is masked by the one classification (contracts.personal) through
the one masking walk (services.kernel.base.masking), the grant standing in for a caller's role. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic_core import to_jsonable_python

from contracts.feeds import DataClass, EntityKind, FeedMessage
from services.kernel.base.masking import FULL, Viewer, Visibility, mask_tree

#: registry fields that only serve its own queries, never part of the record's state
SEARCH_AIDS = frozenset({"document_number_reversed", "sort_key", "door_key"})


@dataclass(frozen=True)
class FeedSource:
    """Where one entity kind's records live in its context: the registry projection, its collection, the stream
    type of the record's events and the payload field naming the record."""

    entity: EntityKind
    stream_type: str
    projection: str
    collection: str
    id_field: str


def visibility(grant: frozenset[DataClass]) -> Visibility:
    """The grant as the masking policy's visibility: a class granted is seen whole."""
    return Visibility(id_numbers=DataClass.ID_NUMBER in grant, phones=DataClass.PHONE in grant,
                      names=DataClass.NAME in grant, key_persons=DataClass.KEY_PERSON in grant)


def public_state(source: FeedSource, document: dict[str, Any]) -> dict[str, Any]:
    """The record's state as JSON values, its id first, without the registry's bookkeeping and search aids."""
    state = {key: value for key, value in document.items() if not key.startswith("_") and key not in SEARCH_AIDS}
    return to_jsonable_python({source.id_field: document["_id"], **state}, fallback=str)


def masked_state(state: dict[str, Any], grant: frozenset[DataClass]) -> dict[str, Any]:
    """``state`` as ``grant`` may see it; a grant of every class sees it whole (the walk would change nothing)."""
    seen = visibility(grant)
    return state if seen == FULL else mask_tree(state, Viewer(role="feed", fixed=seen))


def feed_message(source: FeedSource, context: str, document: dict[str, Any],
                 grant: frozenset[DataClass]) -> FeedMessage:
    """The message for one registry document (with ``_id`` and ``_version``) under ``grant``."""
    return feed_messages(source, context, document, [grant])[0]


def feed_messages(source: FeedSource, context: str, document: dict[str, Any],
                  grants: list[frozenset[DataClass]]) -> list[FeedMessage]:
    """The message for one registry document under each of ``grants`` (in their order): the state is made once
    and masked once per distinct grant, the costly part of a feed's work per record."""
    state, made = public_state(source, document), {}
    for grant in grants:
        if grant not in made:
            made[grant] = FeedMessage(entity=source.entity, record_id=str(document["_id"]),
                                      version=document["_version"], context=context, grant=sorted(grant),
                                      state=masked_state(state, grant))
    return [made[grant] for grant in grants]
