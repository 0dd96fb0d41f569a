"""CronJob schedules and time zones, judged as the API server judges them (Kubernetes 1.35
``pkg/apis/batch/validation``): the schedule through robfig/cron v3's ``ParseStandard`` (five fields
or a descriptor), no ``TZ=``/``CRON_TZ=`` inside it, and a time zone the server can load.
"""

from __future__ import annotations

import functools
import re
import zoneinfo

# robfig/cron v3 spec.go: the bounds of each field and the names it accepts.
_MONTHS = {
    m: i + 1 for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])
}
_DAYS = {d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}
FIELDS = (
    ("minute", 0, 59, None),
    ("hour", 0, 23, None),
    ("day of month", 1, 31, None),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 6, _DAYS),
)
DESCRIPTORS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
# Go's time.ParseDuration: one or more decimal numbers, each with a unit.
_GO_DURATION = re.compile(r"^[+-]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$")
# The API server's check of each part of a zone name (IANA naming rules, digits and '+' tolerated).
_ZONE_PART = re.compile(r"^[A-Za-z.\-_0-9+]{1,14}$")


def _number(text: str, names: dict[str, int] | None) -> int:
    if names and text.lower() in names:
        return names[text.lower()]
    if not re.fullmatch(r"[+-]?\d+", text):
        raise ValueError(f"{text!r} is not a number" + (" or a name" if names else ""))
    value = int(text)
    if value < 0:
        raise ValueError(f"negative number ({value}) not allowed")
    return value


def _range(expr: str, low: int, high: int, names: dict[str, int] | None) -> None:
    range_and_step = expr.split("/")
    low_high = range_and_step[0].split("-")
    if low_high[0] in ("*", "?"):
        start, end = low, high
    else:
        start = _number(low_high[0], names)
        if len(low_high) == 1:
            end = start
        elif len(low_high) == 2:
            end = _number(low_high[1], names)
        else:
            raise ValueError(f"too many hyphens in {expr!r}")
    if len(range_and_step) == 2:
        step = _number(range_and_step[1], None)
        if len(low_high) == 1:
            end = high  # "N/step" means N-max/step
        if step == 0:
            raise ValueError(f"the step in {expr!r} must be a positive number")
    elif len(range_and_step) > 2:
        raise ValueError(f"too many slashes in {expr!r}")
    if start < low or end > high:
        raise ValueError(f"{expr!r} is outside {low}-{high}")
    if start > end:
        raise ValueError(f"{expr!r} starts at {start}, after its end {end}")


def schedule_problem(schedule: str) -> str | None:
    """Why the API server refuses ``schedule`` (None when it accepts it)."""
    if "TZ" in schedule:
        return "TZ or CRON_TZ in the schedule is refused by the API server: use schedule.timeZone"
    spec = schedule.strip()
    if not spec:
        return "the schedule is empty"
    if spec.startswith("@"):
        if spec in DESCRIPTORS:
            return None
        if spec.startswith("@every ") and _GO_DURATION.match(spec[len("@every ") :]):
            return None
        return f"{spec!r} is not a schedule descriptor ({', '.join(DESCRIPTORS)}, @every <duration>)"
    fields = spec.split()
    if len(fields) != 5:
        return f"expected 5 fields (minute hour day-of-month month day-of-week), found {len(fields)}"
    for text, (what, low, high, names) in zip(fields, FIELDS, strict=True):
        for expr in (part for part in text.split(",") if part):
            try:
                _range(expr, low, high, names)
            except ValueError as exc:
                return f"{what} field {text!r}: {exc}"
    return None


def time_zone_problem(zone: str) -> str | None:
    """Why the API server refuses ``zone`` as a CronJob's timeZone (None when it loads it)."""
    if zone.lower() == "local":
        return "'Local' is not allowed: name an explicit IANA time zone, e.g. Europe/Berlin"
    parts = zone.split("/")
    if any(p in (".", "..") or p.startswith("-") or not _ZONE_PART.match(p) for p in parts):
        return f"unknown time zone {zone!r}"
    if not _have_zones():
        return None  # no time zone database here to judge by; the name's form was checked above
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {zone!r}"
    return None


@functools.cache
def _have_zones() -> bool:
    try:
        zoneinfo.ZoneInfo("UTC")
    except zoneinfo.ZoneInfoNotFoundError:
        return False
    return True
