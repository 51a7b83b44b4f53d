"""The one clock: every "now" and "today" in the platform comes from here, so tests can set it."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# The offset from the real clock, or the frozen instant; None/None is the real clock.
_frozen: datetime | None = None
_offset = timedelta(0)


def utcnow() -> datetime:
    """The current instant, aware, in UTC."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC) + _offset


def offset_from_real() -> timedelta | None:
    """How far this clock runs ahead of the real one, or None while it is frozen: for a
    database statement that must take "now" at the moment it runs (after a lock wait) on the
    database server's clock, as `clock_timestamp() + offset`."""
    return None if _frozen is not None else _offset


def zone(name: str | None, default: str = "UTC") -> ZoneInfo:
    """A time zone by name, falling back to `default` for a missing or unknown name."""
    try:
        return ZoneInfo(name or default)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(default)


def today(tz: str | None = None) -> date:
    """Today's calendar date in time zone `tz` (UTC when not given)."""
    return utcnow().astimezone(zone(tz)).date()


def set_clock(instant: datetime | None, *, ticking: bool = False) -> None:
    """Set the clock to `instant` (aware): frozen there, or running on from it with `ticking`;
    None goes back to the real clock."""
    global _frozen, _offset
    if instant is not None and instant.tzinfo is None:
        raise ValueError("the clock needs an aware datetime")
    _frozen, _offset = None, timedelta(0)
    if instant is not None and ticking:
        _offset = instant - datetime.now(UTC)
    elif instant is not None:
        _frozen = instant.astimezone(UTC)


def advance(delta: timedelta) -> None:
    """Move the clock forward (a frozen clock stays frozen, at the later instant)."""
    global _frozen, _offset
    if _frozen is not None:
        _frozen += delta
    else:
        _offset += delta


@contextmanager
def frozen_at(instant: datetime) -> Iterator[None]:
    """Freeze the clock for the duration of a block, then restore what was there."""
    global _frozen, _offset
    saved = (_frozen, _offset)
    set_clock(instant)
    try:
        yield
    finally:
        _frozen, _offset = saved
