"""Pure helpers of the free-text match route (services.address.api.text)."""

from __future__ import annotations

from types import SimpleNamespace

import re

import pytest

from services.address.api.text import (
    ROAD_MIN, MatchRequest, ParseRequest, RoadMatch, best_road_match, door_of, name_similarity, name_variants,
    one_edit_pattern, plate_readings, plate_variants, rank_roads, resolve_scope, room_components, room_filter,
    scope_codes, score_variants,
)
from services.address.text.components import extract_components
from services.kernel.base.errors import DomainRuleViolation

FULL = "云南省红河州蒙自市文澜街道天马路18号"


def plate(**extra) -> dict:
    return {"_id": "P18", "full_name": FULL, "division_code": "532503001", "place_code": "R1", **extra}


def test_name_variants_are_the_tails():
    assert name_variants("蒙自天马路") == ["蒙自天马路", "自天马路", "天马路", "马路"]
    assert name_variants("路") == ["路"]


@pytest.mark.parametrize("text, expected", [
    ("天马路", True), ("天码路", True), ("天马大路", True), ("天路", True), ("新天马路", True),
    ("马天路", False), ("人民路", False), ("天马大道路", False),
])
def test_one_edit_pattern(text, expected):
    assert bool(re.match(one_edit_pattern("天马路"), text)) is expected


def test_one_edit_pattern_escapes_regex_characters():
    assert re.match(one_edit_pattern("A.B路"), "A.B路")
    assert not re.match(one_edit_pattern("A.B路"), "AXYB路")


def test_name_similarity():
    assert name_similarity("天马路", "天马路") == 1.0
    assert name_similarity("蒙自天马路", "天马路") == 0.9  # a leftover division prefix
    assert 0.6 < name_similarity("天码路", "天马路") < 0.9
    assert name_similarity("人民路", "天马路") < ROAD_MIN


def test_best_road_match_prefers_the_current_name_and_reports_former_names():
    place = {"_id": "R1", "name": "天马大道", "aliases": ["天马街"], "former_names": [{"name": "天马路"}]}
    assert best_road_match(["天马路"], place) == RoadMatch("R1", "天马大道", "天马路", "former_name", 1.0)
    assert best_road_match(["天马大道"], place).via == "name"
    assert best_road_match(["天马街"], place).via == "alias"


def test_rank_roads_drops_weak_names_and_keeps_the_best_first():
    places = [{"_id": "A", "name": "人民路"}, {"_id": "B", "name": "天马路"}, {"_id": "C", "name": "天码路"}]
    assert [match.code for match in rank_roads(["天马路"], places)] == ["B", "C"]


def test_door_of_reads_the_query_door():
    door = door_of(extract_components("天马路18之1号"))
    assert (door.number, door.sub, door.format()) == (18, 1, "18-1号")
    assert door_of(extract_components("天马路")) is None


def test_room_filter_is_the_narrowest_the_query_allows():
    assert room_filter(extract_components("天马路18号3栋2单元1203室")) == {"room_number": "1203"}
    assert room_filter(extract_components("天马路18号3栋2单元12层")) == {"floor": 12, "unit": 2}
    assert room_filter(extract_components("天马路18号3栋2单元")) == {"unit": 2}
    assert room_filter(extract_components("天马路18号3栋")) is None
    assert room_filter(extract_components("天马路18号")) is None


def test_plate_variants_cover_former_numbers_merged_duplicates_and_aliases():
    doc = plate(former_numbers=[{"door_number": "19号"}], merged_from=[{"code": "D", "door_number": "18-1号"}],
                aliases=["老天马路十八号"])
    variants = plate_variants(doc, plate_readings(doc, None))
    query = extract_components("天马路19号")
    score, reasons = score_variants(query, variants)
    assert score == pytest.approx(0.98) and reasons[0] == "door: former number 19号"
    assert score_variants(extract_components("天马路18之1号"), variants)[1][0] == "door: absorbed duplicate D"
    score, reasons = score_variants(extract_components("老天马路18号"), variants)
    assert score == pytest.approx(0.98) and reasons[0] == "alias: 老天马路十八号"
    assert score_variants(extract_components("天马路18号"), variants) == (1.0, ["road: 天马路 ~ 天马路 (1.00)",
                                                                           "door: 18 = 18"])


def test_plate_readings_add_the_former_road_name_it_matched_by():
    road = RoadMatch("R1", "天马大道", "天马路", "former_name", 1.0)
    doc = plate(full_name="云南省红河州蒙自市文澜街道天马大道18号")
    readings = plate_readings(doc, road)
    assert readings[1][0].road == "天马路" and readings[1][1] == "road: former name 天马路 of 天马大道"
    assert score_variants(extract_components("天马路18号"), readings)[0] == pytest.approx(0.98)


def test_room_components_take_the_floor_only_when_asked():
    standard = extract_components(FULL)
    room = {"name_suffix": "3栋2单元1203室", "floor": 12}
    plain = room_components(standard, room, extract_components("天马路18号3栋2单元1203室"))
    assert (plain.building, plain.unit, plain.room, plain.floor) == ("3", "2", "1203", None)
    assert room_components(standard, room, extract_components("天马路18号3栋2单元12层")).floor == 12


def test_scope_codes_and_resolution():
    county = scope_codes("532503")
    assert county[0] == "532503" and "532503001" in county and all(code.startswith("532503") for code in county)
    assert scope_codes("532503001") == ["532503001"]
    assert resolve_scope("532522", "division_code") == "532503"  # 蒙自县 → 蒙自市 (2010)
    assert resolve_scope(None, "division_code") is None
    assert resolve_scope("999999999", None) is None
    with pytest.raises(DomainRuleViolation) as error:
        resolve_scope("999999999", "division_code")
    assert (error.value.field, error.value.rule) == ("division_code", "division.unknown")


def test_request_models_reject_blank_and_long_text():
    for model in (ParseRequest, MatchRequest):
        for text in ("", "  \u3000 ", "路" * 201):
            with pytest.raises(ValueError):
                model(text=text)
        assert model(text="路" * 200).text == "路" * 200


async def test_parse_route_maps_chunks_and_a_missing_model_to_503(monkeypatch):
    from fastapi import HTTPException

    import services.address.text.parsing as parsing
    from services.address.api.text import parse_address
    from services.address.text.parsing import Chunk

    text = " 蒙自市天马路18号"
    traced = []

    class Caller:  # the route's caller (services.kernel.web.authz), which leaves the access-log trace
        async def accessed(self, record_type, record_id, **fields):
            traced.append((record_type, fields["lookup"]["text"], fields["result_count"]))

    http = SimpleNamespace(state=SimpleNamespace(caller=Caller()))
    monkeypatch.setattr(parsing, "parse", lambda t: [Chunk("district", "蒙自市", 1, 4), Chunk("road", "天马路", 4, 7)])
    response = await parse_address(ParseRequest(text=text), http)
    assert [(c.label, text[c.start:c.end]) for c in response.chunks] == [("district", "蒙自市"), ("road", "天马路")]
    assert traced == [("address_parse", text, 2)]

    def missing(_: str):
        raise FileNotFoundError("address parser model not found")

    monkeypatch.setattr(parsing, "parse", missing)
    with pytest.raises(HTTPException) as error:
        await parse_address(ParseRequest(text=text), http)
    assert error.value.status_code == 503
