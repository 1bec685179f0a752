"""Access-log rules (可疑查询): outside-jurisdiction and night lookups, on planted reads (no stack)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from services.audit.domain.access_rules import AccessRules, flags

AS_OF = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)  # 20:00 in Beijing


def read(actor: str, org: str, person: str, division: str, at: datetime, record_type: str = "person") -> dict:
    return {"actor": {"id": actor, "organisation_code": org}, "division_code": division, "recorded_at": at,
            "payload": {"record_type": record_type, "record_id": person}}


def test_many_persons_outside_the_jurisdiction_flag_the_reader():
    rules = AccessRules(outside_persons=3, night_reads=100)
    reads = [read("PC-1", "532503", f"P{n}", "532502001", AS_OF - timedelta(hours=1)) for n in range(3)]
    reads += [read("PC-1", "532503", "P0", "532502001", AS_OF - timedelta(hours=2))]  # same person again
    reads += [read("PC-2", "532503", f"P{n}", "532503001", AS_OF - timedelta(hours=1)) for n in range(9)]  # inside
    reads += [read("PC-3", "532503", f"P{n}", "532502001", AS_OF - timedelta(days=2)) for n in range(9)]  # too old
    reads += [read("PC-4", "532503", f"U{n}", "532502001", AS_OF, "unit") for n in range(9)]  # not persons
    raised = flags(reads, rules, AS_OF)
    assert [(f["actor_id"], f["rule"], f["count"]) for f in raised] == [("PC-1", "outside_jurisdiction", 3)]
    assert raised[0]["records"] == ["P0", "P1", "P2"]


def test_night_lookups_in_local_time_flag_the_reader():
    rules = AccessRules(outside_persons=100, night_reads=2)
    night = datetime(2026, 11, 20, 15, 30, tzinfo=timezone.utc)  # 23:30 Beijing
    day = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)  # 10:00 Beijing
    reads = [read("PC-1", "532503", "P1", "532503001", night), read("PC-1", "532503", "P2", "532503001", night),
             read("PC-2", "532503", "P1", "532503001", day), read("PC-2", "532503", "P2", "532503001", day)]
    raised = flags(reads, rules, datetime(2026, 11, 20, 16, 0, tzinfo=timezone.utc))
    assert [(f["actor_id"], f["rule"]) for f in raised] == [("PC-1", "night")]
    assert AccessRules(night_start_hour=1, night_end_hour=5).is_night(datetime(2026, 1, 1, 19, tzinfo=timezone.utc))


def test_persons_a_list_returned_and_refused_probes_count_towards_the_outside_rule():
    """Issue 16: a view's persons from elsewhere (``records``) and refused reads (403, division known) count."""
    rules = AccessRules(outside_persons=3, night_reads=100)
    at = AS_OF - timedelta(hours=1)
    listed = {"actor": {"id": "GW-1", "organisation_code": "532503"}, "division_code": "532503001",
              "recorded_at": at, "payload": {"record_type": "unit_employees", "record_id": "U1", "records": [
                  {"record_id": "P1", "division_code": "532502001"}, {"record_id": "P2", "division_code": "532502001"},
                  {"record_id": "P9", "division_code": "532503001"}]}}
    refused = read("GW-1", "532503", "P3", "532502001", at)
    refused["payload"]["outcome"] = "refused"
    raised = flags([listed, refused], rules, AS_OF)
    assert [(f["actor_id"], f["count"], f["records"]) for f in raised] == [("GW-1", 3, ["P1", "P2", "P3"])]


def test_a_night_lookup_by_value_is_named_by_its_fields_in_the_flag():
    """The flags go to supervisors, some of another county: a lookup by value is named by the fields searched,
    never by what the reader typed (an ID number, a name, a phone); the access log keeps that for those entitled."""
    night = datetime(2026, 11, 20, 15, 30, tzinfo=timezone.utc)  # 23:30 Beijing
    looked_up = [{"actor": {"id": "PC-1", "organisation_code": "532502"}, "division_code": None, "recorded_at": night,
                  "payload": {"record_type": "person", "lookup": lookup}}
                 for lookup in ({"document_number": "532503197712066715"}, {"name": "王建国", "phone": "13989780299"})]
    [flag] = flags(looked_up, AccessRules(outside_persons=100, night_reads=2), night + timedelta(minutes=5))
    shown = " ".join(flag["records"])
    assert flag["rule"] == "night" and flag["count"] == 2
    for whole in ("532503197712066715", "王建国", "13989780299"):
        assert whole not in shown, shown
    assert flag["records"] == ["lookup:document_number", "lookup:name,phone"]
