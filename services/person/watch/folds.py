"""Pure folds of the watch: a key-person record's listing periods, a person's recent events, and which
(event, listing period, rule) raises an alert. No I/O: the projection reads, calls these, writes."""

from __future__ import annotations

from datetime import datetime, timezone

from services.person.watch.rules import Rule, match

RECENT_EVENTS = 50  #: events kept per person (the watch shows the latest; a late listing is checked against them)
ACTIVE_STATES = ("listed", "release_applied")  #: 已列管 (a release pending still counts)
STAMP = "%Y-%m-%dT%H:%M:%S.%fZ"
ATTRIBUTES = ("category_code", "division_code", "responsible_unit", "responsible_officer")


def stamp(when: datetime) -> str:
    """A fixed-width UTC timestamp: compares as text in the same order as the moments."""
    return when.astimezone(timezone.utc).strftime(STAMP)


def moment(text: str) -> datetime:
    """The moment a ``stamp`` names."""
    return datetime.strptime(text, STAMP).replace(tzinfo=timezone.utc)


def fold_listing(listing: dict | None, event_type: str, payload: dict, at: str) -> dict:
    """A key-person record after one of its events; ``periods`` are the spans it was 已列管, with the category,
    jurisdiction and responsible unit of each span (a transfer or recategorisation starts a new span)."""
    listing = dict(listing or {})
    periods = [dict(period) for period in listing.get("periods", [])]

    def close() -> bool:
        closed = False
        for period in periods:
            if period["to"] is None:
                period["to"], closed = at, True
        return closed

    def open_() -> None:
        periods.append({"from": at, "to": None, **{key: listing.get(key) for key in ATTRIBUTES}})

    if event_type == "KeyPersonListingApplied":
        listing = {"key_person_id": payload["key_person_id"], "person_id": payload["person_id"], "state": "applied",
                   **{key: payload.get(key) for key in ATTRIBUTES}}
    elif event_type == "KeyPersonListed":
        listing["state"] = "listed"
        open_()
    elif event_type == "KeyPersonListingRejected":
        listing["state"] = "rejected"
    elif event_type == "KeyPersonReleaseApplied":
        listing["state"] = "release_applied"
    elif event_type == "KeyPersonReleaseRejected":
        listing["state"] = "listed"
    elif event_type == "KeyPersonReleased":
        listing["state"] = "released"
        close()
    elif event_type in ("KeyPersonTransferred", "KeyPersonRecategorized"):
        if event_type == "KeyPersonTransferred":
            listing.update(division_code=payload["to_division_code"], responsible_unit=payload["to_unit"],
                           responsible_officer=payload.get("to_officer") or listing.get("responsible_officer"))
        else:
            listing["category_code"] = payload["to_category_code"]
        if close():
            open_()
    listing["periods"] = periods
    return listing


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
