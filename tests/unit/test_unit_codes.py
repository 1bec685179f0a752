"""USCC (GB 32100), industry (GB/T 4754-2017) and special-trade code tables: published and generated vectors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import uscc as stdnum_uscc

from contracts import industry, special_trades, uscc

REGIONS = ["110000", "110108", "532503", "532522", "532500", "440305", "100000"]
AUTHORITY_KINDS = [(authority, kind) for authority, (_, kinds) in uscc.AUTHORITIES.items() for kind in kinds]


def complete(first17: str) -> str:
    return first17 + uscc.check_character(first17)


@st.composite
def valid_codes(draw, organisation_checked: bool = True) -> str:
    authority, kind = draw(st.sampled_from(AUTHORITY_KINDS))
    region = draw(st.sampled_from(REGIONS))
    body = draw(st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=8, max_size=8))
    check = uscc.organisation_check(body) if organisation_checked else draw(st.sampled_from("0123456789X"))
    return complete(f"{authority}{kind}{region}{body}{check}")


# published vectors (DOMAIN.md) ----------------------------------------------------------------------------
@pytest.mark.parametrize("code", ["91110000600037341L", "91110108551385082Q"])
def test_published_valid_codes(code):
    parsed = uscc.parse(code)
    assert parsed.code == code and parsed.authority == "9" and parsed.kind == "1"
    assert parsed.warnings == ()
    assert stdnum_uscc.is_valid(code)  # the reference implementation agrees on ordinary codes


def test_published_invalid_code_names_the_check_rule():
    with pytest.raises(uscc.UsccError) as refused:
        uscc.parse("A1110000600037341L")
    assert refused.value.rule == "uscc.check"


def test_parts_are_named():
    parsed = uscc.parse("91110108551385082Q")
    assert (parsed.authority_name, parsed.kind_name, parsed.region_code, parsed.organisation_code) == (
        "工商 / 市场监管", "企业", "110108", "551385082")


def test_typed_forms_are_normalised():
    assert uscc.parse(" 9111 0108-5513 8508 2q ").code == "91110108551385082Q"
    assert uscc.parse("９１１１０１０８５５１３８５０８２Ｑ").code == "91110108551385082Q"


# letter authorities: legal, although python-stdnum refuses them --------------------------------------------
@pytest.mark.parametrize("prefix", ["N2", "Y1", "A1", "N3"])
def test_letter_authorities_are_accepted(prefix):
    code = complete(f"{prefix}532503{'MA6K0001'}{uscc.organisation_check('MA6K0001')}")
    parsed = uscc.parse(code)
    assert parsed.authority == prefix[0] and parsed.warnings == ()
    assert not stdnum_uscc.is_valid(code)  # the library's refusal we deliberately do not follow


@pytest.mark.parametrize("code, rule", [
    ("9111010855138508", "uscc.length"),
    ("91110108551385082I", "uscc.alphabet"),
    ("9111010855138508ZQ", "uscc.alphabet"),
    (complete("B1110108551385082"), "uscc.authority"),
    (complete("94110108551385082"), "uscc.kind"),
    (complete("Y2110108551385082"), "uscc.kind"),
    (complete("91990000551385082"), "uscc.region"),
    (complete("911101A8551385082"), "uscc.region"),
])
def test_each_refusal_names_its_rule(code, rule):
    with pytest.raises(uscc.UsccError) as refused:
        uscc.parse(code)
    assert refused.value.rule == rule
    assert refused.value.message_zh


def test_historical_county_codes_are_accepted():
    assert uscc.parse(complete("92532522MA6K00017")).region_code == "532522"  # 蒙自县, retired 2010


def test_organisation_code_mismatch_is_a_warning_not_a_refusal():
    body = "55138508"
    wrong = "0" if uscc.organisation_check(body) != "0" else "1"
    parsed = uscc.parse(complete(f"91110108{body}{wrong}"))
    assert len(parsed.warnings) == 1 and parsed.warnings[0].startswith("uscc.organisation_check")


# generated vectors ------------------------------------------------------------------------------------
@settings(max_examples=300, deadline=None)
@given(valid_codes())
def test_generated_codes_are_valid_without_warnings(code):
    parsed = uscc.parse(code)
    assert parsed.code == code and parsed.warnings == ()


@settings(max_examples=300, deadline=None)
@given(valid_codes(organisation_checked=False))
def test_generated_codes_pass_whatever_their_organisation_check(code):
    assert uscc.is_valid(code)


@settings(max_examples=300, deadline=None)
@given(valid_codes(), st.integers(min_value=0, max_value=17), st.sampled_from(uscc.ALPHABET))
def test_any_single_substitution_is_caught(code, position, replacement):
    """Every weight is prime to 31, so changing one character always changes the check."""
    mutated = code[:position] + replacement + code[position + 1:]
    if mutated != code:
        assert not uscc.is_valid(mutated)


@settings(max_examples=200, deadline=None)
@given(valid_codes())
def test_agrees_with_stdnum_on_digit_authorities(code):
    if code[0].isdigit():
        assert stdnum_uscc.calc_check_digit(code[:17]) == code[17]


# GB/T 4754-2017 ------------------------------------------------------------------------------------------
def test_table_has_20_sections_and_97_divisions_within_the_published_ranges():
    sections, divisions = industry.table()
    assert len(sections) == 20 and len(divisions) == 97
    for division, (section, name) in divisions.items():
        low, high = industry.SECTION_RANGES[section]
        assert low <= int(division) <= high and name
    assert sections["I"] == "信息传输、软件和信息技术服务业" and divisions["64"] == ("I", "互联网和相关服务")


@pytest.mark.parametrize("text, code", [("I64", "I64"), ("i64", "I64"), ("64", "I64"), ("C1311", "C1311"),
                                        ("H612", "H612"), ("T97", "T97"), ("A01", "A01"), ("K70", "K70")])
def test_valid_industry_codes(text, code):
    assert industry.parse(text).code == code


@pytest.mark.parametrize("text, rule", [("I61", "industry.section_mismatch"), ("A06", "industry.section_mismatch"),
                                        ("I98", "industry.division"), ("I00", "industry.division"),
                                        ("Z64", "industry.section"), ("I6", "industry.format"),
                                        ("互联网", "industry.format"), ("I64101", "industry.format")])
def test_invalid_industry_codes(text, rule):
    with pytest.raises(industry.IndustryError) as refused:
        industry.parse(text)
    assert refused.value.rule == rule


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(industry.SECTION_RANGES)), st.integers(min_value=1, max_value=97))
def test_section_and_division_agree_exactly_when_the_ranges_say_so(section, number):
    low, high = industry.SECTION_RANGES[section]
    code = f"{section}{number:02d}"
    assert industry_ok(code) == (low <= number <= high)


def industry_ok(code: str) -> bool:
    try:
        industry.parse(code)
    except industry.IndustryError:
        return False
    return True


# special trades -------------------------------------------------------------------------------------------
def test_special_trade_table_covers_domain_list():
    names = " ".join(trade.name for trade in special_trades.trades().values())
    for word in ["旅馆", "典当", "公章刻制", "开锁", "废旧金属", "机动车修理", "拆解", "二手车", "旧手机", "寄递物流",
                 "娱乐场所", "上网服务", "保安服务", "爆炸", "剧毒化学品", "管制刀具", "枪"]:
        assert word in names, word
    for trade in special_trades.trades().values():
        assert trade.inspection_cycle_days > 0 and trade.licence and trade.category in ("special", "key")
