"""Lookups worth a supervisor's look (可疑查询): configurable rules over the access log. Pure.

- ``outside_jurisdiction``: one reader looked up at least N distinct persons outside their own jurisdiction
  within the window: persons read or refused (403) one by one, and persons a list or a view returned
  (``records`` of RecordAccessed, e.g. a unit's employees registered elsewhere);
- ``night``: one reader made at least N person lookups at night (local time) within the window.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable



@dataclass(frozen=True)
class AccessRules:
    window_hours: int = 24
    outside_persons: int = 10
    night_reads: int = 5
    night_start_hour: int = 22
    night_end_hour: int = 6
    utc_offset_hours: int = 8
    person_record_types: tuple[str, ...] = ("person",)

    def is_night(self, moment: datetime) -> bool:
        hour = moment.astimezone(timezone(timedelta(hours=self.utc_offset_hours))).hour
        if self.night_start_hour > self.night_end_hour:
            return hour >= self.night_start_hour or hour < self.night_end_hour
        return self.night_start_hour <= hour < self.night_end_hour


def outside(organisation_code: str, division_code: str | None) -> bool:
    """The record's division does not lie inside the reader's organisation (division) code."""
    return not (division_code or "").startswith(organisation_code)


def lookup_label(lookup: dict[str, Any]) -> str:
    """A lookup by value (an ID number, a name, a phone typed by the reader) as a flag names it: by the fields it
    searched, never their values. Flags go to supervisors who may not see the values (another county's person
    looked up at night); the access log keeps the lookup itself, masked per reader, for the follow-up."""
    return "lookup:" + ",".join(sorted(lookup))


def flags(accesses: Iterable[dict[str, Any]], rules: AccessRules, as_of: datetime) -> list[dict[str, Any]]:
    """The flags raised by ``accesses`` (archived RecordAccessed envelopes) in the window ending ``as_of``."""
    start = as_of - timedelta(hours=rules.window_hours)
    outside_persons: dict[tuple[str, str], set[str]] = defaultdict(set)
    night: dict[tuple[str, str], list[str]] = defaultdict(list)
    for access in accesses:
        at = access["recorded_at"]
        payload = access.get("payload", {})
        if not (start < at <= as_of):
            continue
        reader = (access["actor"]["id"], access["actor"]["organisation_code"])
        for listed in payload.get("records") or []:  # the persons a list or a view returned (employees, tenants)
            if outside(reader[1], listed.get("division_code")):
                outside_persons[reader].add(listed["record_id"])
        if payload.get("record_type") not in rules.person_record_types:
            continue
        record = payload.get("record_id") or lookup_label(payload.get("lookup") or {})
        if outside(reader[1], access.get("division_code")) and payload.get("record_id") \
                and payload.get("outcome") != "not_found":  # no such person: nobody's jurisdiction
            outside_persons[reader].add(record)
        if rules.is_night(at):
            night[reader].append(record)
    window = {"window_start": start.isoformat(), "window_end": as_of.isoformat()}
    raised = [{"actor_id": actor, "organisation_code": org, "rule": "outside_jurisdiction", "count": len(records),
               "threshold": rules.outside_persons, "records": sorted(records)[:20], **window}
              for (actor, org), records in outside_persons.items() if len(records) >= rules.outside_persons]
    raised += [{"actor_id": actor, "organisation_code": org, "rule": "night", "count": len(records),
                "threshold": rules.night_reads, "records": sorted(set(records))[:20], **window}
               for (actor, org), records in night.items() if len(records) >= rules.night_reads]
    return sorted(raised, key=lambda flag: (flag["rule"], -flag["count"], flag["actor_id"]))
