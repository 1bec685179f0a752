"""Pure folds of the watch: a key-person record's listing periods, a person's recent events, and which
(event, listing period, rule) raises an alert. No I/O: the projection reads, calls these, writes."""

from __future__ import annotations

from datetime import datetime, timezone

from contracts import key_person_record
from contracts.key_person_record import ACTIVE_STATES
from services.person.watch.rules import Rule, match

RECENT_EVENTS = 50  #: events kept per person (the watch shows the latest; a late listing is checked against them)
STAMP = "%Y-%m-%dT%H:%M:%S.%fZ"
ATTRIBUTES = ("category_code", "division_code", "responsible_unit", "responsible_officer")
NEW_SPAN = ("KeyPersonTransferred", "KeyPersonRecategorized")  #: a listed span ends and the next begins


def stamp(when: datetime) -> str:
    """A fixed-width UTC timestamp: compares as text in the same order as the moments."""
    return when.astimezone(timezone.utc).strftime(STAMP)


def moment(text: str) -> datetime:
    """The moment a ``stamp`` names."""
    return datetime.strptime(text, STAMP).replace(tzinfo=timezone.utc)


def fold_listing(listing: dict | None, event_type: str, payload: dict, at: str) -> dict:
    """A key-person record after one of its events (its transition: contracts.key_person_record); ``periods`` are
    the spans it was 已列管, with the category, jurisdiction and responsible unit of each span (a transfer or
    recategorisation starts a new span)."""
    before = dict(listing or {})
    after = key_person_record.evolve(before, event_type, payload)
    periods = [dict(period) for period in before.get("periods", [])]
    open_ = [period for period in periods if period["to"] is None]
    if open_ and (after.get("state") not in ACTIVE_STATES or event_type in NEW_SPAN):
        for period in open_:
            period["to"] = at
    if after.get("state") in ACTIVE_STATES and all(period["to"] is not None for period in periods):
        periods.append({"from": at, "to": None, **{key: after.get(key) for key in ATTRIBUTES}})
    return {**{key: after.get(key) for key in ("key_person_id", "person_id", "state", *ATTRIBUTES)},
            "periods": periods}


def watched_in(listings: dict[str, dict]) -> list[str]:
    """The jurisdictions watching the person now (the watch list's filter)."""
    return sorted({listing["division_code"] for listing in listings.values()
                   if listing.get("state") in ACTIVE_STATES and listing.get("division_code")})


def with_event(events: list[dict], entry: dict) -> list[dict]:
    """The person's recent events with ``entry``: ordered by when they happened, the latest RECENT_EVENTS kept
    (the same set whatever order they arrived in)."""
    merged = {event["event_id"]: event for event in events}
    merged[entry["event_id"]] = entry
    return sorted(merged.values(), key=lambda event: (event["at"], event["event_id"]))[-RECENT_EVENTS:]


def qualifying(listings: dict[str, dict], entry: dict, rules: tuple[Rule, ...]) -> tuple[dict, dict, Rule] | None:
    """The listing, its period and the rule under which ``entry`` raises an alert (the person was 已列管 when
    it happened, and a rule names it), or None."""
    for key_person_id in sorted(listings):
        listing = listings[key_person_id]
        for period in listing.get("periods", []):
            if period["from"] <= entry["at"] and (period["to"] is None or entry["at"] < period["to"]):
                rule = match(rules, entry["event_type"], period.get("category_code"), entry["facts"].get("trades"))
                if rule is not None:
                    return listing, period, rule
    return None
