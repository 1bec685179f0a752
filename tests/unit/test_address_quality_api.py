"""Pure helpers of the quality routes (services.address.api.quality)."""

from __future__ import annotations

from services.address.api.quality import numbering_rule, plate_input, report_for, summary, totals
from services.address.config import AddressSettings
from services.address.domain.numbering import NumberingRule

CITY = AddressSettings(default_odd_side="right", default_skip=[4, 13, 14])


def plate(code: str, door: str, **extra) -> dict:
    return {"_id": code, "door_number": door, "status": "in_use", "approval_state": "approved",
            "location": {"type": "Point", "coordinates": [103.3649, 23.3962]}, **extra}


def test_the_road_rule_wins_over_the_city_default():
    own = numbering_rule({"numbering_rule": {"odd_side": "left", "skip": []}}, CITY)
    assert own == (NumberingRule(odd_side="left"), "road")
    default = numbering_rule({"numbering_rule": None}, CITY)
    assert default == (NumberingRule(odd_side="right", skip=frozenset({4, 13, 14})), "city_default")
    assert numbering_rule({}, AddressSettings())[0].odd_side is None


def test_plate_input_from_the_read_model():
    located = plate_input(plate("A", "18号", side="left"))
    assert (located.plate_id, located.number, located.side, located.lng, located.lat) == (
        "A", "18号", "left", 103.3649, 23.3962)
    bare = plate_input({"_id": "B", "door_number": "2号", "status": "retired", "approval_state": "pending",
                        "location": None})
    assert (bare.lng, bare.lat, bare.status, bare.approval) == (None, None, "retired", "pending")


def test_report_summary_and_totals():
    place = {"name": "天马路", "division_code": "532503001", "numbering_rule": {"odd_side": "left", "skip": []}}
    plates = [plate("A", "1号", side="left"), plate("B", "3号", side="right"), plate("C", "7号", location=None),
              plate("D", "7号"), plate("E", "9号", approval_state="pending"), plate("F", "5号", status="retired")]
    report, rule = report_for(place, plates, CITY)
    assert rule == {"odd_side": "left", "skip": [], "start": 1, "source": "road"}
    counts = summary(report)
    assert counts == {"plates": 5, "duplicates": 1, "duplicate_plates": 2, "gaps": 1, "wrong_side": 1,
                      "skipped_numbers_used": 0, "without_coordinates": 1, "implausible_coordinates": 0,
                      "unreadable_numbers": 0, "pending_approvals": 1, "issues": 5}
    both = totals([{"counts": counts}, {"counts": {key: 0 for key in counts}}])
    assert both["plates"] == 5 and both["issues"] == 5 and both["roads"] == 2 and both["roads_with_issues"] == 1
