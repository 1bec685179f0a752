"""Free-text address normalisation: width, numerals, synonyms, division prefix."""

from __future__ import annotations

import pytest

from services.address.domain.normalize import (
    chinese_numerals_to_digits,
    clean,
    normalize,
    parse_chinese_number,
    split_division,
    strip_division_prefix,
    to_halfwidth,
)

STANDARD = "天马路18号3栋2单元1203室"


def test_halfwidth():
    assert to_halfwidth("天马路１８号３座，Ａ") == "天马路18号3座,A"
    assert to_halfwidth("\u3000") == " "


@pytest.mark.parametrize(
    ("numeral", "value"),
    [
        ("十", 10),
        ("十二", 12),
        ("二十", 20),
        ("一千二百零三", 1203),
        ("二〇三", 203),
        ("一二〇三", 1203),
        ("两百", 200),
        ("三万零五", 30005),
    ],
)
def test_parse_chinese_number(numeral, value):
    assert parse_chinese_number(numeral) == value


def test_parse_chinese_number_rejects_other_text():
    with pytest.raises(ValueError):
        parse_chinese_number("十a")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("十二栋", "12栋"),
        ("一千二百零三室", "1203室"),
        ("二〇三", "203"),
        ("2单元一二〇三", "2单元1203"),
        ("五一路", "五一路"),  # a name, not a number
        ("十里铺", "十里铺"),
        ("西江千户苗寨", "西江千户苗寨"),  # 千 alone is not a number here
        ("万达广场三号楼", "万达广场3号楼"),
    ],
)
def test_numerals_only_where_they_number_something(text, expected):
    assert chinese_numerals_to_digits(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "天马路18号3栋2单元1203室",
        "天马路十八号三幢二单元一二〇三号",
        "天马路１８号３座２单元１２０３室",
        "天马路18号3号楼2单元1203",
        "天马路 18 号 3# 2单元 1203户",
        "天马路18号3-2-1203",
        "天马路18号3栋2-1203",
        "云南省红河哈尼族彝族自治州蒙自市文澜街道天马路18号3栋2单元1203室",
        "云南省红河州蒙自市天马路18号3栋2单元1203室",
        "云南红河蒙自天马路18号3栋2单元1203室",
        "蒙自市文澜街道天马路18号（老干所）3栋2单元1203室",
    ],
)
def test_spellings_of_one_address_normalise_alike(text):
    assert normalize(text) == STANDARD


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("天马路18之1号", "天马路18-1号"),
        ("天马路18号附1号", "天马路18-1号"),
        ("天马路18号负一层", "天马路18号地下1层"),
        ("天马路18号B1层", "天马路18号地下1层"),
        ("天马路18号2单元12楼", "天马路18号2单元12层"),
        ("天马路18号12F", "天马路18号12层"),
        ("阳光小区a座1单元302", "阳光小区A栋1单元302室"),
        ("B1栋3单元", "B1栋3单元"),
    ],
)
def test_synonyms(text, expected):
    assert clean(text) == expected


def test_division_prefix_gives_the_division_code():
    prefix = strip_division_prefix("云南省红河州蒙自市文澜街道天马路18号")
    assert prefix.code == "532503001"
    assert prefix.matched == "云南省红河州蒙自市文澜街道"
    assert prefix.rest == "天马路18号"
    assert strip_division_prefix("河南省郑州市二七区大学路12号").code == "410103"
    assert split_division("河南省郑州市二七区大学路十二号")[1] == "大学路12号"


def test_historical_division_name_is_recognised():
    prefix = strip_division_prefix("云南省蒙自县天马路18号")
    assert prefix.code == "532522" and prefix.rest == "天马路18号"


def test_bare_stems_need_support():
    # a lone bare stem could be part of a name: kept unless the caller's scope confirms it
    assert normalize("蒙自天马路18号") == "蒙自天马路18号"
    assert normalize("蒙自天马路18号", scope="532503001") == "天马路18号"
    # never cut a road name that starts like a division
    assert normalize("红河路5号") == "红河路5号"
    assert normalize("云南省红河路5号") == "红河路5号"


def test_ambiguous_township_is_stripped_without_a_code():
    prefix = strip_division_prefix("城关镇人民路1号")
    assert prefix.code is None and prefix.rest == "人民路1号"


def test_normalize_without_stripping():
    assert normalize("蒙自市天马路十八号", strip_divisions=False) == "蒙自市天马路18号"
