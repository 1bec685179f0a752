"""Sampling, cross-assignment and the Wilson interval: the pure arithmetic of acceptance checks."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from services.audit.domain.assignment import InspectorRef, assign, overlaps
from services.audit.domain.sampling import Candidate, allocate, draw
from services.audit.domain.wilson import wilson
from services.kernel.base.errors import DomainRuleViolation


def population() -> list[Candidate]:
    sizes = {"532503001001": 60, "532503001002": 30, "532503002": 10}
    return [Candidate(f"doorplate-{stratum}-{n:03d}", stratum, stratum[:9]) for stratum, size in sizes.items()
            for n in range(size)]


@pytest.mark.parametrize(("correct", "inspected", "low", "high"), [
    (9, 10, 0.5958, 0.9821), (0, 10, 0.0, 0.2775), (10, 10, 0.7225, 1.0), (50, 100, 0.4038, 0.5962),
    (95, 100, 0.8882, 0.9785),
])
def test_wilson_interval_matches_published_values(correct, inspected, low, high):
    result = wilson(correct, inspected)
    assert result.rate == round(correct / inspected, 6)
    assert (round(result.low, 4), round(result.high, 4)) == (low, high)


def test_wilson_without_inspections_and_with_bad_counts():
    assert wilson(0, 0).as_dict() == {"correct": 0, "inspected": 0, "rate": None, "interval_95": None}
    with pytest.raises(ValueError):
        wilson(3, 2)


def test_allocation_is_proportional_and_keeps_every_stratum():
    assert allocate({"a": 60, "b": 30, "c": 10}, 10) == {"a": 6, "b": 3, "c": 1}
    assert allocate({"a": 98, "b": 1, "c": 1}, 3) == {"a": 1, "b": 1, "c": 1}
    assert allocate({"a": 5, "b": 0}, 100) == {"a": 5}
    assert sum(allocate({"a": 7, "b": 11, "c": 13}, 17).values()) == 17


def test_sample_is_reproducible_stratified_and_independent_of_input_order():
    people = population()
    first = draw(people, 20, seed=7)
    shuffled = people[:]
    random.Random(1).shuffle(shuffled)
    assert draw(shuffled, 20, seed=7) == first
    assert draw(people, 20, seed=8) != first
    assert Counter(c.stratum for c in first) == {"532503001001": 12, "532503001002": 6, "532503002": 2}
    assert len({c.stream_id for c in first}) == 20


def test_sample_is_uniform_within_a_stratum():
    people = [c for c in population() if c.stratum == "532503001002"]  # 30 records, 6 drawn per seed
    hits = Counter(c.stream_id for seed in range(3000) for c in draw(people, 6, seed))
    expected = 3000 * 6 / 30  # 600 each
    assert set(hits) == {c.stream_id for c in people}
    assert all(abs(count - expected) < 5 * (expected * (1 - 6 / 30)) ** 0.5 for count in hits.values()), hits


def test_inspectors_come_from_another_jurisdiction_and_share_the_work():
    inspectors = [InspectorRef("A", "532503001"), InspectorRef("B", "532502"), InspectorRef("C", "532501")]
    chosen = assign(["532503001", "532503001", "532503002", "532503002"], inspectors)
    assert [i.id for i in chosen] == ["B", "C", "A", "A"]
    assert not any(overlaps(i.organisation_code, d) for i, d in zip(chosen, ["532503001"] * 2 + ["532503002"] * 2))
    with pytest.raises(DomainRuleViolation) as refused:
        assign(["532503001"], [InspectorRef("X", "532503")])
    assert refused.value.rule == "inspectors.same_jurisdiction"
