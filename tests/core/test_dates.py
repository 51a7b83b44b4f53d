"""Times of day as pages write them: the same text as Babel's own formatting, from a cache."""

from datetime import UTC, datetime, timedelta

from babel import dates as babel_dates

from core import dates
from core.clock import zone
from core.i18n import LOCALES, current_locale, locale_object


def test_the_time_of_day_is_babel_s_in_every_locale_and_zone_across_a_clock_change():
    # 29 March 2026: London's clocks go forward at 01:00 UTC.
    start = datetime(2026, 3, 29, 0, 0, 13, tzinfo=UTC)
    for locale in LOCALES:
        token = current_locale.set(locale)
        try:
            for tz in ("Asia/Shanghai", "Europe/London", "America/New_York", "Asia/Kolkata"):
                for minutes in range(0, 2 * 24 * 60, 11):
                    instant = start + timedelta(minutes=minutes)
                    expected = babel_dates.format_time(
                        instant, "short", tzinfo=zone(tz), locale=locale_object()
                    )
                    assert dates.format_clock(instant, tz) == expected, (locale, tz, instant)
        finally:
            current_locale.reset(token)


def test_a_naive_instant_is_utc_and_none_is_blank():
    token = current_locale.set("en")
    try:
        aware = datetime(2026, 12, 8, 1, 30, tzinfo=UTC)
        expected = babel_dates.format_time(
            aware, "short", tzinfo=zone("Asia/Shanghai"), locale=locale_object()
        )
        assert dates.format_clock(aware.replace(tzinfo=None), "Asia/Shanghai") == expected
        assert dates.format_clock(None) == ""
    finally:
        current_locale.reset(token)
