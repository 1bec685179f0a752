"""Folding streams with each event's declared evolve, and field-level diffs (no stack)."""

from __future__ import annotations

from contracts.address import (
    DoorplateAliasAdded, DoorplateMergedInto, DoorplateRegistered, DoorplateRenumbered, DoorplateRetired,
    PlaceRegistered, PlaceRenamed,
)
from services.audit.domain.fold import diff, flatten, fold
from services.audit.domain.history import history, state_of

CODE = "532503001411234567890125"


def plate(**extra) -> dict:
    return DoorplateRegistered(code=CODE, division_code="532503001", place_code="P1", place_name="天马路",
                               number="18", **extra).model_dump(mode="json")


def test_diff_names_each_changed_field_with_old_and_new_nested_as_dotted():
    old = {"number": "18", "retired": {"reason": "拆迁", "on": "2026-01-01"}, "aliases": ["a"]}
    new = {"number": "20", "retired": {"reason": "拆迁", "on": "2026-02-01"}, "aliases": ["a", "b"], "x": 1}
    assert diff(old, new) == [
        {"field": "aliases", "old": ["a"], "new": ["a", "b"]},
        {"field": "number", "old": "18", "new": "20"},
        {"field": "retired.on", "old": "2026-01-01", "new": "2026-02-01"},
        {"field": "x", "old": None, "new": 1},
    ]
    assert diff(new, new) == []
    assert flatten({"a": {}}) == {"a": {}}


def test_fold_follows_renumbering_alias_and_retirement():
    state = fold([
        ("DoorplateRegistered", plate()),
        ("DoorplateRenumbered", DoorplateRenumbered(code=CODE, old_prefix="", old_number="18", old_suffix="号",
                                                    prefix="", number="20", suffix="号", reason="整顿").model_dump()),
        ("DoorplateAliasAdded", DoorplateAliasAdded(code=CODE, alias="老20号").model_dump()),
        ("DoorplateRetired", DoorplateRetired(code=CODE, reason="拆迁", retired_on="2026-11-01").model_dump()),
    ])
    assert state["door_number"] == "20号" and state["number"] == "20"
    assert state["former_numbers"] == [{"door_number": "18号", "reason": "整顿"}]
    assert state["aliases"] == ["老20号"]
    assert state["status"] == "retired" and state["retired"] == {"reason": "拆迁", "on": "2026-11-01"}
    assert "old_number" not in state and "alias" not in state


def test_merge_redirects_and_rename_keeps_the_former_name():
    merged = fold([("DoorplateRegistered", plate()),
                   ("DoorplateMergedInto", DoorplateMergedInto(code=CODE, survivor_code="X").model_dump())])
    assert (merged["status"], merged["redirect_to"], merged["retired"]["reason"]) == ("merged", "X", "重复门牌合并")
    place = fold([("PlaceRegistered", PlaceRegistered(code="P1", element_type="41", name="天马路", parent_code="532503001",
                                                      division_code="532503001").model_dump()),
                  ("PlaceRenamed", PlaceRenamed(code="P1", old_name="天马路", new_name="天马大道", reason="批文").model_dump())])
    assert place["name"] == "天马大道" and place["former_names"] == [{"name": "天马路", "reason": "批文"}]


def test_unknown_event_types_merge_their_payload():
    assert fold([("SomethingNewHappened", {"a": 1}), ("SomethingNewHappened", {"b": 2})]) == {"a": 1, "b": 2}


def archived(version: int, event_type: str, payload: dict, at: str = "2026-10-01T00:00:00+00:00") -> dict:
    return {"_id": f"e{version}", "version": version, "event_type": event_type, "occurred_at": at, "recorded_at": at,
            "actor": {"id": "PC-1", "role": "police", "organisation_code": "532503", "channel": "web"},
            "correlation_id": "c1", "division_code": "532503001", "payload": payload}


def test_history_entries_carry_the_diff_and_the_reason():
    entries = history([
        archived(1, "DoorplateRegistered", plate()),
        archived(2, "DoorplateRetired", DoorplateRetired(code=CODE, reason="拆迁", retired_on="2026-11-01").model_dump()),
    ])
    assert [e["version"] for e in entries] == [1, 2]
    assert {"field": "number", "old": None, "new": "18"} in entries[0]["changes"]
    assert entries[1]["reason"] == "拆迁"
    assert entries[1]["changes"] == [
        {"field": "retired.on", "old": None, "new": "2026-11-01"},
        {"field": "retired.reason", "old": None, "new": "拆迁"},
        {"field": "status", "old": "in_use", "new": "retired"},
    ]
    assert entries[1]["actor"] == {"id": "PC-1", "role": "police", "organisation_code": "532503"}
    assert state_of([]) == (0, {})


def test_the_log_filter_narrows_by_every_argument_and_keeps_reads_out():
    from datetime import datetime, timezone

    from services.audit.views.archive import log_query

    assert log_query() == {"stream_type": {"$ne": "AccessLog"}}
    since = datetime(2026, 10, 1, tzinfo=timezone.utc)
    query = log_query(actor_id="PC-1", organisation_code="532503", entity_type="Doorplate", division_code="532503001",
                      event_type="DoorplateRetired", since=since, scope={"division_code": {"$regex": "^532503"}})
    assert query["$and"] == [
        {"division_code": {"$regex": "^532503"}}, {"actor.id": "PC-1"}, {"actor.organisation_code": {"$regex": "^532503"}},
        {"stream_type": "Doorplate"}, {"division_code": {"$regex": "^532503001"}}, {"event_type": "DoorplateRetired"},
        {"recorded_at": {"$gte": since}}]


def test_an_upcaster_registered_after_archiving_still_applies_to_the_fold():
    from contracts.events import DomainEvent, upcaster

    class AuditProbeRenamed(DomainEvent):
        schema_version = 2
        label: str

    @upcaster("AuditProbeRenamed", 1)
    def _v1(payload: dict) -> dict:
        return {"label": payload["name"]}

    old = {**archived(1, "AuditProbeRenamed", {"name": "旧"}), "schema_version": 1}
    assert state_of([old]) == (1, {"label": "旧"})
    assert history([old])[0]["changes"] == [{"field": "label", "old": None, "new": "旧"}]
