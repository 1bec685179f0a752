"""A free text read by the shipped parser into match components: divisions looked up, numbers as stored."""

from __future__ import annotations

import pytest

from services.address.text.reading import named_divisions, read_address

WENLAN, CAOBA, MENGZI = "532503001", "532503102", "532503"


def test_bare_county_and_township_names_are_divisions_not_the_road():
    read = read_address("蒙自文澜天马路十八号")
    assert (read.division_code, read.road, read.door) == (WENLAN, "天马路", "18")


@pytest.mark.parametrize(("text", "scope"), [
    ("蒙自市草坝镇天马路5号", None), ("蒙自草坝天马路5号", None), ("草坝天马路5号", MENGZI), ("草坝镇天马路5号", MENGZI),
])
def test_a_township_written_in_full_or_bare_is_found_inside_its_county(text, scope):
    read = read_address(text, scope)
    assert (read.division_code, read.road, read.door) == (CAOBA, "天马路", "5")


def test_a_bare_township_name_alone_names_every_township_of_that_name():
    assert read_address("草坝天马路5号").division_code is None
    assert CAOBA in named_divisions("草坝天马路5号") and len(named_divisions("草坝天马路5号")) == 3


def test_a_bare_name_with_nothing_above_it_means_the_larger_division():
    assert read_address("蒙自天马路5号").division_code == MENGZI


def test_numbers_are_read_as_stored():
    read = read_address("云南红河蒙自天马路18号三座二单元一二〇三号")
    assert (read.division_code, read.door, read.building, read.unit, read.room) == (MENGZI, "18", "3", "2", "1203")
    below = read_address("天马路18-1号阳光小区A座2单元负一层")
    assert (below.door, below.compound, below.building, below.unit, below.floor) == ("18-1", "阳光小区", "A", "2", -1)


def test_a_division_chunk_the_table_does_not_know_belongs_to_the_road():
    """The parser splits an unusual 5-character road name; no division is called 弲雛."""
    read = read_address("弲雛嘓溦路18号3-2-1203")
    assert (read.division_code, read.road, read.building, read.unit, read.room) == (None, "弲雛嘓溦路", "3", "2", "1203")
