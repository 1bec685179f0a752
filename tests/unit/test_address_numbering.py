"""Door numbers, numbering rules, standard address codes and full names."""

from __future__ import annotations

import pytest

from contracts.address_codes import is_valid_address_code, parse_address_code
from services.address.domain.codes import address_code, standard_name
from contracts.elements import ElementType
from services.address.domain.numbering import (
    SKIP_4_13_14,
    DoorNumber,
    DoorNumberError,
    NumberingRule,
    door_key,
    format_door_number,
    parse_door_number,
)


@pytest.mark.parametrize(
    ("text", "expected", "key"),
    [
        ("18号", DoorNumber(18), "18"),
        ("十八号", DoorNumber(18), "18"),
        ("１８号", DoorNumber(18), "18"),
        ("18", DoorNumber(18), "18"),
        (18, DoorNumber(18), "18"),
        ("18号院", DoorNumber(18, suffix="号院"), "18"),
        ("18-1号", DoorNumber(18, sub=1), "18-1"),
        ("18之1号", DoorNumber(18, sub=1), "18-1"),
        ("18附1号", DoorNumber(18, sub=1), "18-1"),
        ("A18号", DoorNumber(18, prefix="A"), "A18"),
        ("18弄", DoorNumber(18, suffix="弄"), "18弄"),
    ],
)
def test_parse_door_number(text, expected, key):
    door = parse_door_number(text)
    assert door == expected
    assert door.key == key


@pytest.mark.parametrize("text", ["天马路18号", "0号", "abc", ""])
def test_unreadable_door_numbers(text):
    with pytest.raises(DoorNumberError, match="door number"):
        parse_door_number(text)


def test_format_and_key():
    assert format_door_number(18) == "18号"
    assert format_door_number(18, prefix="A", sub=2) == "A18-2号"
    assert door_key("天马路", "十八号") == door_key(" 天马路 ", "18号院") == "天马路#18"
    assert door_key("天马路", "18号") != door_key("天马路", "18-1号")


def test_sides_default_rule_odd_left():
    rule = NumberingRule()
    assert rule.side_of(17) == "left" and rule.side_of(18) == "right"
    assert rule.check_side(17, "left") is None
    assert rule.check_side(18, "even") is None
    violation = rule.check_side(18, "left")
    assert violation.rule == "odd-even-side" and "odd-numbered side" in violation.message_en
    assert NumberingRule(odd_side="right").check_side(17, "left") is not None
    assert NumberingRule(odd_side=None).check_side(17, "left") is None


def test_gaps_and_skips():
    rule = NumberingRule()
    assert rule.gaps([1, 3, 9], "left") == [5, 7]
    assert rule.gaps([2, 8], "even") == [4, 6]
    assert rule.gaps([], "left") == []
    assert NumberingRule(odd_side=None).gaps([1, 2, 5]) == [3, 4]
    skipping = NumberingRule.from_config({"odd_side": "left", "skip": [4, 13, 14]})
    assert skipping.skip == SKIP_4_13_14
    assert skipping.gaps([2, 6, 8, 16], "right") == [10, 12]
    assert skipping.check_number(13).rule == "skipped-number"
    assert skipping.next_number([2, 6], "even") == 8
    assert NumberingRule().next_number([1, 3, 7], "left") == 5


def test_rule_from_config_is_validated():
    assert NumberingRule.from_config({"odd_side": "none"}).odd_side is None
    with pytest.raises(ValueError):
        NumberingRule.from_config({"odd_side": "north"})
    with pytest.raises(ValueError):
        NumberingRule.from_config({"start": 0})


# --- standard address code and full name --------------------------------------------------------


def test_standard_full_name():
    assert (
        standard_name("532503001", "天马路", 18, 3, 2, room=1203)
        == "云南省红河州蒙自市文澜街道天马路18号3栋2单元1203室"
    )
    assert (
        standard_name("532503001", "天马路", "十八号", "3号楼", "2单元", room="1203室", short_divisions=False)
        == "云南省红河哈尼族彝族自治州蒙自市文澜街道天马路18号3栋2单元1203室"
    )
    assert standard_name("532503001", "天马路", 18, floor=-1) == "云南省红河州蒙自市文澜街道天马路18号地下1层"
    assert standard_name("532503001", "天马路", 18, room="门面3") == "云南省红河州蒙自市文澜街道天马路18号门面3"


def test_address_code_shape_and_stability():
    road = address_code("532503001", ElementType.ROAD, "天马路")
    door = address_code("532503001", ElementType.BUILDING, "18号", parent_code=road)
    assert len(door) == 24 and door.isdigit()
    assert door.startswith("532503001" + "50")
    assert is_valid_address_code(door)
    assert address_code("532503001", 50, "十八号", parent_code=road) == door  # same element, same code
    assert address_code("532503001", 50, "19号", parent_code=road) != door
    assert address_code("532503001", 50, "18号", parent_code=road, salt=1) != door
    parts = parse_address_code(door)
    assert parts.township == "532503001" and parts.element_type is ElementType.BUILDING
    assert address_code("532503", 41, "天马路").startswith("532503000")


def test_address_code_check_digit_catches_typos():
    code = address_code("532503001", 62, "1203室", parent_code=address_code("532503001", 41, "天马路"))
    for i in range(len(code)):
        typo = code[:i] + str((int(code[i]) + 1) % 10) + code[i + 1 :]
        assert not is_valid_address_code(typo)
    swapped = next(code[:i] + code[i + 1] + code[i] + code[i + 2 :] for i in range(23) if code[i] != code[i + 1])
    assert not is_valid_address_code(swapped)
    with pytest.raises(ValueError, match="invalid standard address code"):
        parse_address_code("123")


def test_address_code_input_errors():
    with pytest.raises(ValueError, match="county or township"):
        address_code("5325", 41, "天马路")
    with pytest.raises(ValueError, match="must not be empty"):
        address_code("532503001", 41, " ")
    with pytest.raises(ValueError, match="invalid parent"):
        address_code("532503001", 50, "18号", parent_code="42")
