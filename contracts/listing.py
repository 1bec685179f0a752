"""列管 by request and approval (申请/审批): the one shape of key persons (重点人员), key units and key locations
(重点单位/重点部位) and the house's key-status requests (重点房屋). Police of the jurisdiction request, a supervisor
of it approves or rejects with reasons. The events stay each context's own (their names and fields are the wire
format); this module holds what they share: the state machine and the record entries they write.

    (none, rejected or released) ──request──▶ requested ──approve──▶ listed ──release──▶ release requested
                                                     └──reject───▶ rejected        ▲          │
                                                                                   └─reject───┤
                                                                     released ◀──approve──────┘
"""

from __future__ import annotations

from datetime import date
from typing import Any, Callable, Iterable, Literal, NamedTuple

Entry = dict[str, Any]
Step = Literal["listing", "release"]  #: which request a decision decides: 列管 or 撤管

LISTED, REJECTED, RELEASED = "listed", "rejected", "released"
#: states from which a listing may be requested (again)
REQUESTABLE = (None, REJECTED, RELEASED)


class Workflow(NamedTuple):
    """One listing's names for its two waiting states, as they stand in its records (key persons say ``applied``
    and ``release_applied``, key units and locations ``pending`` and ``release_pending``)."""

    requested: str
    release_requested: str

    @property
    def active(self) -> frozenset[str]:
        """已列管: a release pending still counts until a supervisor approves it."""
        return frozenset({LISTED, self.release_requested})

    @property
    def awaiting(self) -> tuple[str, str]:
        """待审批: the states in which a request awaits a supervisor."""
        return (self.requested, self.release_requested)

    def step(self, state: str | None) -> Step | None:
        """The request awaiting a decision in ``state`` (列管 or 撤管), None when none is."""
        return {self.requested: "listing", self.release_requested: "release"}.get(state or "")


#: the state each decision leaves: a refused release stays listed
DECIDED: dict[tuple[Step, bool], str] = {("listing", True): LISTED, ("listing", False): REJECTED,
                                         ("release", True): RELEASED, ("release", False): LISTED}


def decision(events: Iterable[type], step: Step, approve: bool) -> type:
    """Of one listing's decision events (each declares what it ``decides``), the one approving or refusing
    ``step``."""
    return next(event for event in events if event.decides == (step, approve))  # type: ignore[attr-defined]


def decided(entry: Entry, state: str, decided_by: str, decided_on: date, remark: str) -> Entry:
    """The request's entry after a supervisor decided it (审批): its new state, who, when and why."""
    return {**entry, "state": state, "remark": remark, "decided_by": decided_by, "decided_on": decided_on.isoformat()}


def change_entry(state: dict[str, Any], entries: str, key: str, value: str,
                 change: Callable[[Entry], Entry]) -> dict[str, Any]:
    """The record with the entry of list ``entries`` whose ``key`` is ``value`` changed (a request, a key
    location, a rental); the others as they were."""
    return {**state, entries: [change(entry) if entry.get(key) == value else entry
                               for entry in state.get(entries, [])]}
