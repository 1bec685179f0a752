"""Accuracy with its 95% Wilson score interval (准确率及置信区间).

The Wilson interval stays inside [0, 1] and behaves at small samples and at 0% or 100%, where the
normal-approximation interval collapses to a point; that is exactly where sampled acceptance lives.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import sqrt

Z_95 = 1.959963984540054  #: two-sided 95% standard-normal quantile


@dataclass(frozen=True)
class Accuracy:
    correct: int
    inspected: int
    rate: float | None
    low: float | None
    high: float | None

    def as_dict(self) -> dict:
        return {"correct": self.correct, "inspected": self.inspected, "rate": self.rate,
                "interval_95": None if self.low is None else [self.low, self.high]}


def wilson(correct: int, inspected: int, z: float = Z_95) -> Accuracy:
    """correct / inspected with the Wilson score interval; nothing inspected → no rate, no interval."""
    if inspected < 0 or not 0 <= correct <= inspected:
        raise ValueError(f"need 0 <= correct <= inspected, got {correct}/{inspected}")
    if inspected == 0:
        return Accuracy(0, 0, None, None, None)
    p = correct / inspected
    denominator = 1 + z * z / inspected
    centre = (p + z * z / (2 * inspected)) / denominator
    half = z * sqrt(p * (1 - p) / inspected + z * z / (4 * inspected * inspected)) / denominator
    return Accuracy(correct, inspected, round(p, 6), round(max(0.0, centre - half), 6), round(min(1.0, centre + half), 6))
