"""Component extraction and candidate scoring."""

from __future__ import annotations

from services.address.text.components import Components, extract_components, rank_candidates, score_candidate

STANDARD = "云南省红河州蒙自市文澜街道天马路18号3栋2单元1203室"


def test_extract_components_of_a_full_address():
    comps = extract_components(STANDARD)
    assert comps == Components(division_code="532503001", road="天马路", door="18", building="3", unit="2", room="1203")


def test_extract_components_from_messy_spelling():
    comps = extract_components("蒙自市天马路十八号三幢二单元一二〇三号")
    assert (comps.road, comps.door, comps.building, comps.unit, comps.room) == ("天马路", "18", "3", "2", "1203")
    assert comps.division_code == "532503"


def test_extract_compound_floor_and_sub_number():
    comps = extract_components("天马路18号阳光小区3栋2单元12楼")
    assert (comps.road, comps.compound, comps.door, comps.building, comps.floor) == (
        "天马路",
        "阳光小区",
        "18",
        "3",
        12,
    )
    assert extract_components("阳光小区A座1单元302").compound == "阳光小区"
    assert extract_components("阳光小区A座1单元302").room == "302"
    assert extract_components("天马路18之1号").door == "18-1"
    assert extract_components("天马路18号负一层").floor == -1
    assert extract_components("天马路阳光花园5栋") == Components(road="天马路", compound="阳光花园", building="5")


def test_exact_standard_name_scores_one():
    query = extract_components("天马路十八号三幢二单元一二〇三号", scope="532503001")
    score, reasons = score_candidate(query, extract_components(STANDARD))
    assert score == 1.0
    assert "door: 18 = 18" in reasons
    assert score_candidate(extract_components(STANDARD), extract_components(STANDARD))[0] == 1.0


def test_numbers_compare_exactly_and_names_fuzzily():
    query = extract_components("天马路18号3栋2单元1203室")
    wrong_room, reasons = score_candidate(query, extract_components("天马路18号3栋2单元1204室"))
    assert wrong_room < 1.0 and "room: 1203 ≠ 1204" in reasons
    typo, _ = score_candidate(query, extract_components("天码路18号3栋2单元1203室"))
    other_road, _ = score_candidate(query, extract_components("人民路18号3栋2单元1203室"))
    assert 1.0 > typo > other_road


def test_ranking_within_a_road():
    query = extract_components("天马路18号3幢2单元1203")
    candidates = [
        ("door", extract_components("天马路18号")),
        ("room-1204", extract_components("天马路18号3栋2单元1204室")),
        ("room-1203", extract_components("天马路18号3栋2单元1203室")),
        ("door-19", extract_components("天马路19号3栋2单元1203室")),
    ]
    ranked = rank_candidates(query, candidates)
    assert [r[0] for r in ranked][:2] == ["room-1203", "room-1204"]
    assert ranked[0][1] == 1.0
    # a door-level query prefers the door plate to its rooms
    door_query = extract_components("天马路十八号")
    assert rank_candidates(door_query, candidates)[0][0] == "door"


def test_conflicting_divisions_cap_the_score():
    here = extract_components("云南省蒙自市天马路18号")
    elsewhere = extract_components("北京市东城区天马路18号")
    score, reasons = score_candidate(here, elsewhere)
    assert score == 0.5 and any(r.startswith("division:") for r in reasons)


def test_empty_components_score_zero():
    assert score_candidate(Components(), Components()) == (0.0, [])
