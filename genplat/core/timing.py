"""Seconds per phase of a run, for ``--timings`` and the benchmarks."""

from __future__ import annotations

import time
import typing as t


class Timings:
    """Adds up the seconds spent in named phases (with worker processes: their CPU seconds, summed)."""

    def __init__(self, seconds: dict[str, float] | None = None) -> None:
        self.seconds = seconds if seconds is not None else {}

    def phase(self, name: str) -> _Phase:
        return _Phase(self.seconds, name)

    def add(self, seconds: t.Mapping[str, float]) -> None:
        for name, value in seconds.items():
            self.seconds[name] = self.seconds.get(name, 0.0) + value


class _Phase:
    def __init__(self, seconds: dict[str, float], name: str) -> None:
        self.seconds, self.name = seconds, name

    def __enter__(self) -> None:
        self.start = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.seconds[self.name] = self.seconds.get(self.name, 0.0) + time.perf_counter() - self.start
