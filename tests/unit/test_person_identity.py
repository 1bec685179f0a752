"""Identity documents (contracts/identity.py): the published GB 11643 vectors and generated ones."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings, strategies as st

from contracts import divisions
from contracts.identity import (
    DocumentType, IdentityError, check_character, guess_number, normalize_number, upgrade_legacy, validate_document,
    validate_foreign_permanent, validate_hmt_permit, validate_passport, validate_resident_id,
)

TODAY = date(2026, 11, 27)
COUNTIES = sorted(code for code in divisions.registry().codes() if len(code) == 6)
HISTORICAL = sorted(code for code in COUNTIES if not divisions.is_current(code))

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def reference_check(first17: str) -> str:
    """DOMAIN.md's own statement of the rule, independent of stdnum."""
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, WEIGHTS)) % 11]


@pytest.mark.parametrize("number", ["11010519491231002X", "440524188001010014", "360426199101010071",
                                    "11010219840406970X"])
def test_published_valid_vectors(number):
    identity = validate_resident_id(number, TODAY)
    assert identity.number == number and identity.document_type == DocumentType.resident_id


def test_published_vectors_tell_birth_date_and_sex():
    assert validate_resident_id("11010519491231002X", TODAY).birth_date == date(1949, 12, 31)
    assert validate_resident_id("11010519491231002X", TODAY).sex == "female"
    assert validate_resident_id("360426199101010071", TODAY).sex == "male"
    assert validate_resident_id("440524188001010014", TODAY).birth_date == date(1880, 1, 1)  # before 1900: kept


def test_a_county_abolished_before_the_birth_year_is_still_accepted():
    """潮阳县 440524 existed 1983-1993; stdnum's county rule would refuse someone born in 1880 there."""
    assert divisions.get("440524").valid_to == 1993
    assert validate_resident_id("440524188001010014", TODAY).region_code == "440524"


@pytest.mark.parametrize("number", ["110105194912310021", "11010219840506970X"])
def test_published_invalid_vectors(number):
    with pytest.raises(IdentityError) as error:
        validate_resident_id(number, TODAY)
    assert error.value.rule == "id.check_character" and error.value.field == "document_number"


def test_lower_case_x_and_full_width_digits_are_normalised():
    assert validate_resident_id("11010519491231002x", TODAY).number == "11010519491231002X"
    assert validate_resident_id("１１０１０５１９４９１２３１００２Ｘ", TODAY).number == "11010519491231002X"
    assert normalize_number(" 1101 0519-4912 3100 2x ") == "11010519491231002X"


def test_legacy_fifteen_digits_upgrade_and_both_are_kept():
    identity = validate_resident_id("110105491231002", TODAY)
    assert identity.number == "11010519491231002X" and identity.legacy_number == "110105491231002"


@pytest.mark.parametrize("number, rule", [
    ("11010519491331002X", "id.birth_date_invalid"),  # month 13
    ("990105194912310020", "id.region_unknown"),
    ("1101051949123100", "id.length"),
    ("810000199001010013", "id.region_is_permit"),
])
def test_rules_name_what_is_wrong(number, rule):
    first17 = number[:17]
    fixed = first17 + reference_check(first17) if len(number) == 18 else number
    with pytest.raises(IdentityError) as error:
        validate_resident_id(fixed, TODAY)
    assert error.value.rule == rule


def test_a_birth_date_in_the_future_is_refused():
    first17 = "110105" + (TODAY + timedelta(days=1)).strftime("%Y%m%d") + "002"
    with pytest.raises(IdentityError) as error:
        validate_resident_id(first17 + reference_check(first17), TODAY)
    assert error.value.rule == "id.birth_date_future"


def test_hong_kong_macao_taiwan_permits():
    for region in ("810000", "820000", "830000"):
        first17 = region + "19900101" + "001"
        identity = validate_hmt_permit(first17 + reference_check(first17), TODAY)
        assert identity.region_code == region and identity.sex == "male"
    with pytest.raises(IdentityError):
        validate_hmt_permit("11010519491231002X", TODAY)


def test_foreign_permanent_residence_cards_2017_and_2023():
    old = validate_foreign_permanent("usa310080080013", TODAY)
    assert old.number == "USA310080080013" and old.card_edition == "2017" and old.nationality == "USA"
    first17 = "9" + "53" + "418" + "19850615" + "012"
    new = validate_foreign_permanent(first17 + reference_check(first17), TODAY)
    assert new.card_edition == "2023" and new.birth_date == date(1985, 6, 15) and new.sex == "female"
    bad = first17 + ("0" if reference_check(first17) != "0" else "1")
    with pytest.raises(IdentityError) as error:
        validate_foreign_permanent(bad, TODAY)
    assert error.value.rule == "id.check_character"
    with pytest.raises(IdentityError) as error:
        validate_foreign_permanent("US310080080013", TODAY)
    assert error.value.rule == "id.foreign_card_format"


def test_passport_needs_a_nationality():
    assert validate_passport("e1234567x", "usa").key == "passport:USA:E1234567X"
    with pytest.raises(IdentityError) as error:
        validate_passport("E1234567", None)
    assert error.value.field == "nationality" and error.value.rule == "passport.nationality_required"


def test_one_number_space_across_gb11643_documents_and_guessing_for_lookups():
    assert validate_document("resident_id", "110105491231002", today=TODAY).key == "gb11643:11010519491231002X"
    assert guess_number("110105491231002", TODAY).number == "11010519491231002X"
    assert guess_number("not a number", TODAY) is None


# generated vectors -----------------------------------------------------------------------------------------
births = st.dates(min_value=date(1880, 1, 1), max_value=TODAY)


def build(region: str, born: date, seq: int) -> str:
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    return first17 + reference_check(first17)


@settings(max_examples=300, deadline=None)
@given(region=st.sampled_from(COUNTIES), born=births, seq=st.integers(0, 999))
def test_generated_numbers_validate_with_their_birth_date_and_sex(region, born, seq):
    number = build(region, born, seq)
    assert check_character(number[:17]) == number[17]
    identity = validate_resident_id(number, TODAY)
    assert identity.birth_date == born and identity.sex == ("male" if seq % 2 else "female")


@settings(max_examples=200, deadline=None)
@given(region=st.sampled_from(HISTORICAL), born=births, seq=st.integers(0, 999))
def test_generated_numbers_from_historical_counties_validate(region, born, seq):
    assert validate_resident_id(build(region, born, seq), TODAY).region_code == region


@settings(max_examples=300, deadline=None)
@given(region=st.sampled_from(COUNTIES), born=births, seq=st.integers(0, 999), position=st.integers(0, 16),
       delta=st.integers(1, 9))
def test_any_single_digit_error_is_caught(region, born, seq, position, delta):
    number = build(region, born, seq)
    wrong = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1:]
    with pytest.raises(IdentityError):
        validate_resident_id(wrong, TODAY)


@settings(max_examples=200, deadline=None)
@given(region=st.sampled_from(COUNTIES), born=st.dates(min_value=date(1900, 1, 1), max_value=date(1999, 12, 31)),
       seq=st.integers(0, 999))
def test_generated_legacy_numbers_upgrade_to_the_eighteen_digit_number(region, born, seq):
    legacy = f"{region}{born:%y%m%d}{seq:03d}"
    assert upgrade_legacy(legacy) == build(region, born, seq)
    identity = validate_resident_id(legacy, TODAY)
    assert identity.number == build(region, born, seq) and identity.legacy_number == legacy


@settings(max_examples=200, deadline=None)
@given(province=st.integers(11, 65), country=st.integers(4, 894), born=births, seq=st.integers(0, 999))
def test_generated_2023_foreign_cards_validate(province, country, born, seq):
    first17 = f"9{province:02d}{country:03d}{born:%Y%m%d}{seq:03d}"
    card = validate_foreign_permanent(first17 + reference_check(first17), TODAY)
    assert card.card_edition == "2023" and card.birth_date == born


@settings(max_examples=100, deadline=None)
@given(region=st.sampled_from(COUNTIES), born=births, seq=st.integers(0, 999))
def test_full_width_and_lower_case_forms_normalise_to_the_same_number(region, born, seq):
    number = build(region, born, seq)
    wide = "".join(chr(ord(c) + 0xFEE0) for c in number.lower())
    assert validate_resident_id(wide, TODAY).number == number
