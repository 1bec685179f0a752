"""Pure parts of the key-person watch: listing spans, recent events, rules as configuration, what qualifies."""

from __future__ import annotations

import random

import pytest

from services.person.watch.folds import RECENT_EVENTS, fold_listing, qualifying, watched_in, with_event
from services.person.watch.rules import configured, match, parse
from services.person.watch.sources import SOURCES

APPLIED = {"key_person_id": "K1", "person_id": "P1", "category_code": "04", "division_code": "532503001",
           "responsible_unit": "文澜派出所", "responsible_officer": "PC-0001"}


def listing_through(*steps: tuple[str, dict, str]) -> dict:
    listing = None
    for event_type, payload, at in steps:
        listing = fold_listing(listing, event_type, payload, at)
    return listing


def entry(event_type: str, at: str, trades=None, event_id: str | None = None) -> dict:
    return {"event_id": event_id or f"e-{at}", "event_type": event_type, "stream_id": "s", "at": at,
            "correlation_id": "c", "facts": {"trades": trades} if trades is not None else {}}


def test_a_listing_has_spans_closed_by_release_and_split_by_transfer():
    listing = listing_through(("KeyPersonListingApplied", APPLIED, "T1"), ("KeyPersonListed", {}, "T2"),
                              ("KeyPersonTransferred", {"to_division_code": "532503002", "to_unit": "新安所"}, "T5"),
                              ("KeyPersonReleaseApplied", {"reason": "x"}, "T6"), ("KeyPersonReleased", {}, "T8"))
    assert [(p["from"], p["to"], p["division_code"]) for p in listing["periods"]] == \
        [("T2", "T5", "532503001"), ("T5", "T8", "532503002")]
    assert listing["state"] == "released" and watched_in({"K1": listing}) == []


def test_an_event_qualifies_only_inside_a_listed_span_and_goes_to_that_spans_jurisdiction():
    rules = configured()
    listing = listing_through(("KeyPersonListingApplied", APPLIED, "T1"), ("KeyPersonListed", {}, "T2"),
                              ("KeyPersonTransferred", {"to_division_code": "532503002", "to_unit": "新安所"}, "T5"),
                              ("KeyPersonReleased", {}, "T8"))
    assert qualifying({"K1": listing}, entry("ResidenceRegistered", "T1"), rules) is None, "only applied, not listed"
    _, period, rule = qualifying({"K1": listing}, entry("ResidenceRegistered", "T3"), rules)
    assert rule.rule == "moved" and period["division_code"] == "532503001"
    _, period, _ = qualifying({"K1": listing}, entry("TenantMovedIn", "T6"), rules)
    assert period["division_code"] == "532503002"
    assert qualifying({"K1": listing}, entry("ResidenceRegistered", "T9"), rules) is None, "released"


def test_a_special_trade_hire_matches_the_special_rule_first_and_a_plain_hire_the_plain_one():
    rules = configured()
    assert match(rules, "EmployeeHired", "04", ["hotel"]).rule == "hired_special_trade"
    assert match(rules, "EmployeeHired", "04", ["delivery_logistics", "pawn"]).rule == "hired_special_trade"
    assert match(rules, "EmployeeHired", "04", []).rule == "hired"
    assert match(rules, "HouseChecked", "04", None) is None


def test_rules_are_configuration_with_categories_and_checked_trades():
    rules = parse({"rules": [{"rule": "drugs_hired", "name": "涉毒人员入职", "events": ["EmployeeHired"],
                              "categories": ["04"], "trades": None}]})
    assert match(rules, "EmployeeHired", "04", []).rule == "drugs_hired"
    assert match(rules, "EmployeeHired", "01", []) is None
    with pytest.raises(ValueError, match="unknown special trades"):
        parse({"rules": [{"rule": "x", "name": "x", "events": ["EmployeeHired"], "trades": ["no_such_trade"]}]})


def test_every_rule_names_an_event_with_known_subjects():
    for rule in configured():
        assert all(event in SOURCES for event in rule.events), rule.rule
    assert SOURCES["RentalStarted"].persons({"lessor": {"person_id": "P9"}}) == ["P9"]
    assert SOURCES["RentalStarted"].persons({"lessor": {"name": "王强"}}) == []


def test_recent_events_are_the_latest_whatever_the_arrival_order():
    events = [entry("ResidenceRegistered", f"T{index:03d}") for index in range(RECENT_EVENTS + 20)]
    results = set()
    for seed in range(5):
        shuffled = events[:]
        random.Random(seed).shuffle(shuffled)
        kept: list[dict] = []
        for item in shuffled + shuffled[:3]:  # with redeliveries
            kept = with_event(kept, item)
        results.add(tuple(item["event_id"] for item in kept))
    assert len(results) == 1
    assert list(results)[0] == tuple(item["event_id"] for item in events[-RECENT_EVENTS:])
