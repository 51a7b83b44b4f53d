"""Dates and times as people read and type them: one format per locale, in the right zone."""

from datetime import UTC, date, datetime, time
from functools import cache, lru_cache
from zoneinfo import available_timezones

from babel import dates as babel_dates

from core.clock import zone
from core.i18n import babel_locale, current_locale, gettext, locale_object


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _parsed(value: date | datetime | str) -> date | datetime | str:
    """An ISO string as stored in the audit log's before/after, as a date or an instant."""
    if not isinstance(value, str):
        return value
    try:
        return date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
    except ValueError:
        return value


def format_day(value: date | datetime | str | None, tz: str | None = None) -> str:
    """A calendar day, e.g. "Dec 4, 2026" / "2026年12月4日"; an instant is taken in `tz`."""
    if value is None:
        return ""
    value = _parsed(value)
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        value = _aware(value).astimezone(zone(tz)).date()
    return _day(value, current_locale.get())


# Pages show the same few days (deadlines, today) again and again; Babel formats anew each time.
@lru_cache(maxsize=4096)
def _day(value: date, locale: str) -> str:
    return babel_dates.format_date(value, "medium", locale=babel_locale(locale))


def format_clock(value: datetime | None, tz: str | None = None) -> str:
    """The time of day alone, e.g. "9:00 PM" / "21:00", for the end of a same-day range."""
    if value is None:
        return ""
    local = _aware(value).astimezone(zone(tz))
    return _clock(local.hour, local.minute, current_locale.get())


# Every page shows a few instants (logged, changed, its history), each its own; the short
# time pattern of every locale holds the hour, the minute and the day period only, so the
# 1,440 minutes of a day cover them all, formatted once each.
@lru_cache(maxsize=4096)
def _clock(hour: int, minute: int, locale: str) -> str:
    return babel_dates.format_time(time(hour, minute), "short", locale=babel_locale(locale))


def format_moment(value: datetime | str | None, tz: str | None = None) -> str:
    """An instant in `tz`: the day as format_day writes it, then the time, with no seconds."""
    if value is None:
        return ""
    value = _parsed(value)
    if not isinstance(value, datetime):
        return format_day(value, tz)
    locale = locale_object()
    pattern = locale.datetime_formats["medium"]
    return pattern.format(format_clock(value, tz), format_day(value, tz))


def format_span(start: datetime, end: datetime, tz: str | None = None) -> str:
    """From start to end; the end's day is left out when it is the start's."""
    same_day = format_day(start, tz) == format_day(end, tz)
    until = format_clock(end, tz) if same_day else format_moment(end, tz)
    return f"{format_moment(start, tz)} – {until}"


def zone_label(tz: str | None) -> str:
    """The zone's name for a reader, e.g. "China Time (Asia/Shanghai)"."""
    place = zone(tz)
    return gettext("%(name)s (%(zone)s)") % {
        "name": babel_dates.get_timezone_name(place, locale=locale_object()),
        "zone": place.key,
    }


def zone_note(tz: str | None) -> str:
    """The one sentence a page shows to say which zone its times are in."""
    return _zone_note(tz, current_locale.get())


@lru_cache(maxsize=256)
def _zone_note(tz: str | None, _locale: str) -> str:
    # The zone's name in the reader's language costs Babel a lookup through its zone data.
    return gettext("Times are shown in %(zone)s.") % {"zone": zone_label(tz)}


def parse_local(value: str | None, tz: str | None) -> datetime | str | None:
    """A datetime-local field's value, typed in zone `tz`, as an aware instant.

    Text that is no date and time is handed back for the form's model to refuse by field."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=zone(tz))


def input_value(value: datetime | str | None, tz: str | None) -> str:
    """What a datetime-local field shows for an instant: its local time in `tz`, to the minute."""
    if not isinstance(value, datetime):
        return value or ""
    return _aware(value).astimezone(zone(tz)).strftime("%Y-%m-%dT%H:%M")


@cache
def zone_names() -> tuple[str, ...]:
    """Every IANA zone this machine knows, sorted, for the account's time-zone setting."""
    return tuple(sorted(n for n in available_timezones() if "/" in n or n == "UTC"))
