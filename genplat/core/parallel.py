"""Fan work out to worker processes by forking, so workers inherit the loaded model for free.

Why fork (and only fork): the workers read the parent's project, resolved model and loaded schemas
without pickling them, and genplat's position index keys on ``hash()``, which agrees across forked
processes only. Where fork is unavailable (or one job is asked for) the same work runs in process.
Results come back in input order, so output never depends on scheduling.
"""

from __future__ import annotations

import multiprocessing
import os
import typing as t

T = t.TypeVar("T")
R = t.TypeVar("R")

# Work items below this count run in process: a fork and the result transfer cost more than they save.
MIN_ITEMS = 2
_STATE: dict[str, t.Any] = {}


def default_jobs() -> int:
    """Worker processes to use: the CPUs this process may run on, at most 8."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(8, cpus))


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def state() -> dict[str, t.Any]:
    """What the parent shared with the workers (set by :func:`fork_map` before forking)."""
    return _STATE


def fork_map(fn: t.Callable[[T], R], items: t.Sequence[T], *, jobs: int, shared: dict[str, t.Any]) -> list[R]:
    """``[fn(item) for item in items]``, spread over ``jobs`` forked workers that see ``shared``."""
    return list(fork_imap(fn, items, jobs=jobs, shared=shared))


def parallel(jobs: int, items: t.Sized) -> bool:
    """Whether :func:`fork_imap` would use workers for this much work."""
    return jobs > 1 and len(items) >= MIN_ITEMS and can_fork()


def fork_imap(fn: t.Callable[[T], R], items: t.Sequence[T], *, jobs: int, shared: dict[str, t.Any]) -> t.Iterator[R]:
    """Like :func:`fork_map`, but yields each result in input order as soon as it is ready, so the
    caller can fold results in (and drop them) while workers go on."""
    _STATE.clear()
    _STATE.update(shared)
    try:
        if not parallel(jobs, items):
            for item in items:
                yield fn(item)
            return
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(processes=min(jobs, len(items))) as pool:
            yield from pool.imap(fn, items, chunksize=1)
    finally:
        _STATE.clear()
