"""Division registry (historical codes, successors, names) and the element-type hierarchy."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from contracts import divisions
from services.address.offline.build_divisions import DEFAULT_SOURCE, build
from contracts.divisions import Division, element_type_of, name_stem, short_name
from contracts.elements import ElementType, check_parent, parse_element_type

DATA_DIR = Path(divisions.__file__).parent / "data"


def test_current_county_and_its_history():
    mengzi = divisions.get("532503")
    assert mengzi == Division("532503", "蒙自市", "county", "5325", 2010, None)
    assert divisions.is_current("532503")
    old = divisions.get("532522")
    assert old is not None and old.name == "蒙自县" and old.valid_to == 2010 and old.retired
    assert not divisions.is_current("532522")


def test_resolve_follows_retired_code_to_successor():
    assert divisions.resolve("532522").code == "532503"  # 蒙自县 → 蒙自市 (2010)
    assert divisions.resolve("532526").code == "532504"  # 弥勒县 → 弥勒市 (2013)
    assert divisions.resolve("532503").code == "532503"
    assert divisions.resolve("110103").code == "110101"  # 崇文区 → 东城区, documented merger
    assert divisions.resolve("999999") is None


def test_name_periods_of_one_code():
    periods = divisions.history("532530")
    assert [p.name for p in periods] == ["金平县", "金平苗族瑶族傣族自治县"]
    assert divisions.get("532530", year=1980).name == "金平县"
    assert divisions.get("532530", year=2000).name == "金平苗族瑶族傣族自治县"


def test_full_name_skips_placeholders_and_supports_short_form():
    assert divisions.full_name("532503001") == "云南省红河哈尼族彝族自治州蒙自市文澜街道"
    assert divisions.full_name("532503001", short=True) == "云南省红河州蒙自市文澜街道"
    assert divisions.full_name("110101001") == "北京市东城区东华门街道"  # 市辖区 skipped
    assert divisions.full_name("500235") == "重庆市云阳县"  # 县 grouping skipped
    assert divisions.full_name("441900003") == "广东省东莞市东城街道"  # no 东莞市东莞市
    assert divisions.full_name("429004") == "湖北省仙桃市"  # 省直辖县级行政区划 skipped
    assert divisions.full_name("532522") == "云南省红河哈尼族彝族自治州蒙自县"
    with pytest.raises(KeyError):
        divisions.full_name("999999")


def test_children_and_levels():
    townships = divisions.children("532503")
    assert len(townships) == 13  # 5 街道, 4 镇, 4 乡 (SOURCE.md)
    kinds = [t.element_type for t in townships]
    assert kinds.count(ElementType.SUBDISTRICT) == 5
    assert kinds.count(ElementType.TOWN) == 4
    assert kinds.count(ElementType.TOWNSHIP) == 4
    counties = divisions.children("5325")
    assert "532503" in {c.code for c in counties} and "532522" not in {c.code for c in counties}
    assert "532522" in {c.code for c in divisions.children("5325", include_retired=True)}
    assert len(divisions.children("53")) == 16


def test_normalize_code_accepts_gbt2260_and_statistical_forms():
    assert divisions.normalize_code("530000") == "53"
    assert divisions.normalize_code("532500") == "5325"
    assert divisions.normalize_code(532503) == "532503"
    assert divisions.normalize_code("532503001000") == "532503001"
    assert divisions.normalize_code("441900") == "441900"  # a real county code ending in 00
    with pytest.raises(ValueError):
        divisions.normalize_code("53A")
    with pytest.raises(ValueError):
        divisions.normalize_code("12345")


def test_names():
    assert short_name("红河哈尼族彝族自治州") == "红河州"
    assert short_name("屏边苗族自治县") == "屏边县"
    assert short_name("广西壮族自治区") == "广西"
    assert short_name("期路白苗族乡") == "期路白乡"
    assert short_name("蒙自市") == "蒙自市"
    assert name_stem("蒙自县") == name_stem("蒙自市") == "蒙自"
    assert name_stem("云南省") == "云南"
    assert element_type_of("532503001", "文澜街道") is ElementType.SUBDISTRICT
    assert element_type_of("532503201", "期路白苗族乡") is ElementType.TOWNSHIP


def test_registry_covers_the_snapshot():
    registry = divisions.registry()
    codes = registry.codes()
    assert sum(1 for c in codes if len(c) == 9) == 41352
    assert sum(1 for c in codes if len(c) == 2) >= 31
    assert divisions.get("653228").valid_from == 2024  # newer than the snapshot, from stdnum


@pytest.mark.skipif(not (DEFAULT_SOURCE / "streets.csv").exists(), reason="needs ../shared/data/divisions (beside every checkout and in CI; absent only in a bare clone)")
def test_shipped_data_is_what_the_build_script_makes():
    fresh = build(DEFAULT_SOURCE)
    shipped = (DATA_DIR / divisions.DATA_FILE).read_bytes()
    assert gzip.decompress(fresh[divisions.DATA_FILE]) == gzip.decompress(shipped)


# --- hierarchy ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parent", "child"),
    [
        (ElementType.PROVINCE, ElementType.PREFECTURE),
        (ElementType.COUNTY, ElementType.SUBDISTRICT),
        (ElementType.SUBDISTRICT, ElementType.COMMUNITY),
        (ElementType.TOWN, ElementType.ROAD),  # a tier may be skipped
        (ElementType.VILLAGE_COMMITTEE, ElementType.VILLAGER_GROUP),
        (ElementType.ROAD, ElementType.BUILDING),
        (ElementType.BUILDING, ElementType.BUILDING),  # 18号 → 3栋
        (ElementType.BUILDING, ElementType.UNIT),
        (ElementType.BUILDING, ElementType.ROOM),
        (ElementType.UNIT, ElementType.ROOM),
        (None, ElementType.PROVINCE),
    ],
)
def test_allowed_parents(parent, child):
    assert check_parent(parent, child) is None


@pytest.mark.parametrize(
    ("parent", "child"),
    [
        (ElementType.ROOM, ElementType.UNIT),
        (ElementType.BUILDING, ElementType.ROAD),
        (ElementType.ROAD, ElementType.COMPOUND),
        (ElementType.TOWN, ElementType.SUBDISTRICT),
        (ElementType.UNIT, ElementType.UNIT),
        (ElementType.ROOM, ElementType.ROOM),
    ],
)
def test_rejected_parents_name_the_rule(parent, child):
    violation = check_parent(parent, child)
    assert violation is not None
    assert violation.rule == "child-below-parent"
    assert "下级地址要素类型须低于上级" in violation.message_zh
    assert "must sit below" in violation.message_en
    assert str(violation) == f"{violation.message_zh} / {violation.message_en}"


def test_parent_required_and_codes_parsed():
    assert check_parent(None, 41).rule == "parent-required"
    assert check_parent("23", "41") is None
    assert parse_element_type("62") is ElementType.ROOM
    with pytest.raises(ValueError, match="unknown address element type"):
        parse_element_type(99)
