"""Render stage: the sandbox platform templates run in — strict, read-only, bounded.

* **Strict**: an undefined name or attribute, and anything the sandbox refuses (``__class__``,
  ``|attr('__class__')``, ``''['__class__']``), is an error at the template's line, never an empty
  or ``null`` value (the value-to-YAML hook raises on an undefined instead of hiding it).
* **Read-only**: :class:`jinja2.sandbox.ImmutableSandboxedEnvironment` refuses ``append``,
  ``setdefault``, ``update`` … on lists and dicts, and every render gets its own copy of the
  context, so no template can change what the next one (or the next ``--jobs`` worker) sees.
* **Bounded**: an operation budget per render (:data:`MAX_OPERATIONS` loop steps, calls and
  lookups), ``range`` at most :data:`MAX_RANGE` items, ``**`` results at most :data:`MAX_INT_BITS`
  bits, ``*`` repetition and filter arguments that would build more than :data:`MAX_OUTPUT` bytes
  refused before they are built, the rendered text at most :data:`MAX_OUTPUT` bytes, and a wall-clock
  limit of :data:`RENDER_SECONDS` per render as the last resort.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import typing as t

import jinja2
import jinja2.sandbox
from jinja2.exceptions import SecurityError

MAX_OPERATIONS = 1_000_000
MAX_RANGE = 100_000
MAX_INT_BITS = 4096
MAX_OUTPUT = 4 << 20
MAX_ARG = 1_000_000
RENDER_SECONDS = 10.0


class BudgetError(SecurityError):
    """A template went past one of the limits above."""


class _Budget:
    def __init__(self) -> None:
        self.left = MAX_OPERATIONS

    def tick(self, n: int = 1) -> None:
        self.left -= n
        if self.left < 0:
            raise BudgetError(
                f"template went past its budget of {MAX_OPERATIONS:,} operations (loop steps, calls, "
                "lookups); it would run for too long"
            )


_local = threading.local()


def _budget() -> _Budget:
    b = getattr(_local, "budget", None)
    if b is None:
        b = _local.budget = _Budget()
    return t.cast(_Budget, b)


class _Range(t.Sequence[int]):
    """``range`` whose iteration spends the render's budget, one step per item."""

    def __init__(self, r: range) -> None:
        self._r = r

    def __len__(self) -> int:
        return len(self._r)

    @t.overload
    def __getitem__(self, i: int) -> int: ...
    @t.overload
    def __getitem__(self, i: slice) -> t.Sequence[int]: ...
    def __getitem__(self, i: int | slice) -> int | t.Sequence[int]:
        return self._r[i]

    def __iter__(self) -> t.Iterator[int]:
        budget = _budget()
        for v in self._r:
            budget.tick()
            yield v


def _safe_range(*args: int) -> _Range:
    r = range(*args)
    if len(r) > MAX_RANGE:
        raise BudgetError(f"range of {len(r):,} items; templates may build at most {MAX_RANGE:,}")
    return _Range(r)


def _size(value: t.Any) -> int:
    return len(value) if isinstance(value, (str, bytes, list, tuple)) else 0


class Sandbox(jinja2.sandbox.ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"**", "*", "%"})

    def __init__(self, **kw: t.Any) -> None:
        super().__init__(**kw)
        self.globals["range"] = _safe_range
        for name, fn in list(self.filters.items()):
            self.filters[name] = _bounded_filter(name, fn)

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: t.Any, right: t.Any) -> t.Any:
        _budget().tick()
        if (
            operator == "**"
            and isinstance(left, int)
            and isinstance(right, int)
            and right > 0
            and abs(left) > 1
            and left.bit_length() * right > MAX_INT_BITS
        ):
            raise BudgetError(f"{left} ** {right} has more than {MAX_INT_BITS} bits; refusing to compute it")
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(n, int) and _size(seq) * max(n, 0) > MAX_OUTPUT:
                    raise BudgetError(f"repeating a value {n:,} times would build more than {MAX_OUTPUT:,} bytes")
        if operator == "%" and isinstance(left, str) and _wide(left):
            raise BudgetError("a %-format width or precision over 100,000 characters; refusing it")
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: jinja2.runtime.Context, __obj: t.Any, *args: t.Any, **kwargs: t.Any) -> t.Any:
        _budget().tick()
        if (
            getattr(__obj, "__name__", "") in ("format", "format_map")
            and isinstance(getattr(__obj, "__self__", None), str)
            and _wide(__obj.__self__)
        ):
            raise BudgetError("a format width or precision over 100,000 characters; refusing it")
        return super().call(__context, __obj, *args, **kwargs)

    def getattr(self, obj: t.Any, attribute: str) -> t.Any:
        _budget().tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj: t.Any, argument: t.Any) -> t.Any:
        _budget().tick()
        return super().getitem(obj, argument)


def _wide(fmt: str) -> bool:
    import re

    return any(len(m) > 5 for m in re.findall(r"\d+", fmt))


def _bounded_filter(name: str, fn: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    def bounded(*args: t.Any, **kwargs: t.Any) -> t.Any:
        _budget().tick()
        for a in (*args, *kwargs.values()):
            if isinstance(a, int) and not isinstance(a, bool) and abs(a) > MAX_ARG:
                raise BudgetError(f"filter {name} was given {a:,}; filter arguments are limited to {MAX_ARG:,}")
        out = fn(*args, **kwargs)
        if _size(out) > MAX_OUTPUT:
            raise BudgetError(f"filter {name} built more than {MAX_OUTPUT:,} bytes")
        return out

    for attr in ("jinja_pass_arg",):  # pass_context / pass_environment markers
        if hasattr(fn, attr):
            setattr(bounded, attr, getattr(fn, attr))
    return bounded


@contextlib.contextmanager
def limits() -> t.Iterator[None]:
    """A fresh operation budget, and the wall-clock limit where signals can deliver it."""
    _local.budget = _Budget()
    use_alarm = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
    if not use_alarm:
        yield
        return

    def expired(signum: int, frame: t.Any) -> None:
        raise BudgetError(f"template did not finish within {RENDER_SECONDS:g} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, RENDER_SECONDS)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def plain_copy(value: t.Any) -> t.Any:
    """A copy of plain data (dicts, lists, scalars): each render gets its own context."""
    if isinstance(value, dict):
        return {k: plain_copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_copy(v) for v in value]
    return value
