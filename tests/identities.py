"""ID numbers (公民身份号码) for test persons, never the same twice in one run.

Every run shares one namespace, so a number drawn at random by two tests (or twice by one) registers the second
person as a duplicate of the first: 400 random female numbers of 532503 against the few thousand the rest of the
suite registered collide about one run in ten (a fresh-clone run: 399 of 400 accepted, the 400th a duplicate).
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from contracts.identity import check_character

_ISSUED: set[str] = set()


def unique_id_number(born: date | None = None, sex: str = "female", region: str = "532503") -> str:
    """A valid 18-digit number agreeing with ``born`` and ``sex``, not issued before in this process."""
    for _ in range(10_000):
        day = born or date(1960, 1, 1) + timedelta(days=random.randint(0, 20000))
        seq = random.randint(0, 499) * 2 + (1 if sex == "male" else 0)
        first17 = f"{region}{day:%Y%m%d}{seq:03d}"
        if first17 not in _ISSUED:
            _ISSUED.add(first17)
            return first17 + check_character(first17)
    raise RuntimeError(f"no unused ID number left for {born} {sex}")
