"""Road quality report: duplicates, gaps, wrong sides, coordinates, approvals."""

from __future__ import annotations

from services.address.domain.numbering import NumberingRule
from services.address.views.quality import DuplicateGroup, Gap, PlateInput, road_quality_report

MENGZI = (103.3649, 23.3962)


def plate(pid, number, side=None, coords=MENGZI, approval="approved", status="in_use"):
    lng, lat = coords if coords else (None, None)
    return PlateInput(pid, number, side, lng, lat, approval, status)


def test_clean_road_has_no_issues():
    plates = [plate(str(n), f"{n}号", "left" if n % 2 else "right") for n in range(1, 11)]
    report = road_quality_report("天马路", plates)
    assert report.issue_count == 0 and report.plate_count == 10
    assert report.as_dict()["issue_count"] == 0


def test_duplicates_use_the_normalised_key():
    plates = [
        plate("a", "18号", "right"),
        plate("b", "十八号", "right"),
        plate("c", "18号院", "right"),
        plate("d", "18-1号"),
    ]
    report = road_quality_report("天马路", plates)
    assert report.duplicates == [DuplicateGroup("天马路#18", "18号", ("a", "b", "c"))]


def test_gaps_respect_sides_and_skips():
    plates = [plate(p, f"{n}号") for p, n in [("a", 1), ("b", 3), ("c", 9), ("d", 2), ("e", 16)]]
    report = road_quality_report("天马路", plates, NumberingRule.from_config({"skip": [4, 13, 14]}))
    assert report.gaps == [
        Gap("left", "odd", (5, 7), ((5, 7),)),
        Gap("right", "even", (6, 8, 10, 12), ((6, 12),)),
    ]
    sequential = road_quality_report("天马路", plates, NumberingRule(odd_side=None))
    assert sequential.gaps[0].side is None and sequential.gaps[0].ranges == ((4, 8), (10, 15))


def test_wrong_side_and_skipped_numbers():
    plates = [plate("a", "1号", "right"), plate("b", "2号", "right"), plate("c", "4号", "even")]
    report = road_quality_report("天马路", plates, NumberingRule.from_config({"skip": [4]}))
    assert [i.plate_id for i in report.wrong_side] == ["a"]
    assert report.wrong_side[0].rule == "odd-even-side"
    assert [i.plate_id for i in report.skipped_numbers_used] == ["c"]


def test_coordinates_approvals_unreadable_and_retired():
    plates = [
        plate("a", "1号", coords=None),
        plate("b", "3号", coords=(116.3975, 39.9087)),  # Beijing, far from Mengzi
        plate("c", "5号", approval="pending"),
        plate("d", "七号"),
        plate("e", "门口"),
        plate("f", "5号", status="retired"),  # retired: no duplicate of c
    ]
    report = road_quality_report("天马路", plates, division_code="532503")
    assert report.plate_count == 5
    assert report.missing_coordinates == ["a"]
    assert [i.plate_id for i in report.implausible_coordinates] == ["b"]
    assert report.pending_approvals == ["c"]
    assert [i.plate_id for i in report.unreadable_numbers] == ["e"]
    assert "invalid door number" in report.unreadable_numbers[0].message_en
    assert report.duplicates == []
    assert report.gaps == []
