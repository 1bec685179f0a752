"""Stratified, seeded, uniform sampling for acceptance checks (抽样验收).

Each stratum (a community, or the township where records carry no community) gets a share of the sample
proportional to its size (largest remainders, at least one per non-empty stratum while the sample allows),
then a uniform draw without replacement inside it. The population is sorted before drawing, so the same
seed over the same records gives the same sample whatever order the archive returned them in.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    stream_id: str
    stratum: str  #: community code, else township code
    division_code: str


def allocate(sizes: dict[str, int], sample_size: int) -> dict[str, int]:
    """Proportional allocation by largest remainders (ties by stratum code); then every non-empty stratum gets
    at least one while the sample allows, taken from the stratum with the largest share."""
    strata = sorted(stratum for stratum, size in sizes.items() if size > 0)
    total = sum(sizes[s] for s in strata)
    sample_size = min(sample_size, total)
    if not strata or sample_size <= 0:
        return {}
    exact = {s: sample_size * sizes[s] / total for s in strata}
    shares = {s: int(exact[s]) for s in strata}
    left = sample_size - sum(shares.values())
    for s in sorted(strata, key=lambda s: (-(exact[s] - shares[s]), s))[:left]:
        shares[s] += 1
    if sample_size >= len(strata):
        for empty in [s for s in strata if shares[s] == 0]:
            donor = max(strata, key=lambda s: (shares[s], s))
            shares[donor] -= 1
            shares[empty] = 1
    return {s: n for s, n in shares.items() if n}


def draw(candidates: list[Candidate], sample_size: int, seed: int) -> list[Candidate]:
    """The sample: reproducible for a seed, stratified, uniform within each stratum."""
    by_stratum: dict[str, list[Candidate]] = defaultdict(list)
    for candidate in sorted(set(candidates), key=lambda c: c.stream_id):
        by_stratum[candidate.stratum].append(candidate)
    shares = allocate({s: len(items) for s, items in by_stratum.items()}, sample_size)
    sample: list[Candidate] = []
    for stratum in sorted(shares):
        rng = random.Random(f"{seed}:{stratum}")
        sample.extend(rng.sample(by_stratum[stratum], shares[stratum]))
    return sample
