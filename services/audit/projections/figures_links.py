"""The write-skew guard between a record and the addresses its figures read (地址依赖的写偏斜防护): link documents,
one per (address code, lane).

Why a guard: a record reading an address (its door plate, the plate's road and community) and that address's event
looking for the records on it run in concurrent transactions when they come from different partitions; neither
sees the other's uncommitted write, so the record could stay computed without the address forever. Both write a
document in common, so the two transactions conflict and the runner retries the loser against the committed state
(as the address replica does with a road's document).

Why per lane: the guard only has to make a record that *reads* an address conflict with an event that *changes* it;
two records reading one community decide nothing from each other. With one document per address every record
wrote its community's, so any two partitions whose batches held records of one community conflicted, each conflict
retrying a whole batch (2,000 persons: 11 events/s side by side, 63 one partition at a time). Here a record writes
its own lane's document of each address it newly reads, and an address event writes every lane's document of its
code: transactions of two lanes conflict only when one of them changes an address the other reads. One lane's
transactions never run side by side (one worker per partition), so they need no guard between them.

A lane is the entity context whose topic the batch came from and its partition modulo the configured partition
count (``topic_partitions``). Readers and writers agree on the lanes by construction: a reader always names one of
``lanes()``, the writer writes all of them; a topic with more partitions than configured only folds two partitions
into one document (a retry more, nothing wrong), and a transaction whose partition is unknown (a redrive, a
handler called alone) takes partition 0.

A record reads an address *newly* when the code was not among its refs before this event: a record whose refs
already named it (committed, or written earlier in this transaction, which then touched it) is found by the
address event's search and rewritten there, so the two conflict on the record's own document.

Each document counts ``r`` (records' touches) and ``w`` (address events'). An address event searches for the
records on it only when some lane's document was touched by a record (or the one document per code written
before, until the projection is rebuilt, exists).
"""

from __future__ import annotations

from typing import Any, Iterable

from services.audit.domain.metrics import ENTITY_OF
from services.kernel.base.settings import get_settings

LINKS = "links"  #: one per (address code, lane) records depend on, written by both sides
CONTEXTS = sorted(set(ENTITY_OF.values()))  #: the contexts whose topics carry records


def lane_of(tx: Any) -> str:
    """The lane of ``tx``'s transaction: its event's context and its partition (0 when not known)."""
    partition = getattr(tx, "partition", None) or 0
    return f"{ENTITY_OF.get(tx.envelope.stream_type, CONTEXTS[0])}.{partition % get_settings().topic_partitions}"


def lanes() -> list[str]:
    return [f"{context}.{partition}" for context in CONTEXTS for partition in range(get_settings().topic_partitions)]


def link_id(code: str, lane: str) -> str:
    return f"{code}|{lane}"


def link_ids(code: str) -> list[str]:
    """Every document that tells whether a record depends on ``code``: each lane's, and the one of before."""
    return [*(link_id(code, lane) for lane in lanes()), code]


async def read(batch: Any, codes: Iterable[str]) -> None:
    """A record's figures now depend on these addresses: its lane's document of each."""
    links = batch.writer(LINKS)
    for code in codes:
        await links.update_one({"_id": link_id(code, batch.lane)}, {"$inc": {"r": 1}}, upsert=True,
                               session=batch.session)


async def changed(batch: Any, code: str) -> None:
    """Address ``code`` changed: every lane's document, so any lane's record reading it concurrently conflicts."""
    links = batch.writer(LINKS)
    for lane in lanes():
        await links.update_one({"_id": link_id(code, lane)}, {"$inc": {"w": 1}}, upsert=True, session=batch.session)


def maybe_referred(batch: Any, code: str) -> bool:
    """False only when certainly no record depends on address ``code``: every document of ``link_ids`` was read
    ahead for the batch (or written since: the batch then knows it as it is now), and none holds a record's touch."""
    for key in link_ids(code):
        hit, document = batch.ahead(LINKS, key)
        if not hit or (document is not None and (key == code or document.get("r"))):
            return True
    return False
