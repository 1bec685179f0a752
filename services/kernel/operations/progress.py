"""A one-line progress bar for long operator commands: done/total, rate and ETA, on stderr."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Redraws at most every ``interval`` seconds; ``total`` may grow while live traffic keeps arriving."""

    def __init__(self, label: str, total: int, stream: TextIO | None = None, interval: float = 0.5) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self.stream = stream or sys.stderr
        self.interval = interval
        self.started = time.perf_counter()
        self._drawn = 0.0

    @property
    def rate(self) -> float:
        return self.done / max(time.perf_counter() - self.started, 1e-9)

    def advance(self, count: int, total: int | None = None) -> None:
        self.done += count
        if total is not None:
            self.total = total
        if time.perf_counter() - self._drawn >= self.interval:
            self.draw()

    def draw(self, end: str = "") -> None:
        self._drawn = time.perf_counter()
        total = max(self.total, self.done, 1)
        width = 30
        filled = int(width * self.done / total)
        rate = self.rate
        eta = (total - self.done) / rate if rate > 0 else float("inf")
        eta_text = f"{eta:5.0f}s" if eta != float("inf") else "    ?"
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {self.done}/{total} "
                          f"{rate:8.0f} ev/s  ETA {eta_text}{end}")
        self.stream.flush()

    def close(self) -> None:
        self.draw(end="\n")
