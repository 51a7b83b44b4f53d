"""Labels of the donations pages: the need categories, and matching reasons in words."""

import re
from datetime import date

from core.dates import format_day
from core.i18n import _, ngettext
from recovery.service import CATEGORY_LABELS as CATEGORY
from recovery.service import PRIORITY_LABELS

CATEGORY_LABELS = CATEGORY
CATEGORY_CHOICES = list(CATEGORY.items())
PRIORITY_CHOICES = list(PRIORITY_LABELS.items())

# The matching engine (core.matching) words its reasons in English for the API and the
# stored run; pages show them in the reader's language, with dates as the site writes them.
_DATE = r"(\d{4}-\d{2}-\d{2})"
_NUM = r"([\d.]+)"


def _day(text: str) -> str:
    return format_day(date.fromisoformat(text))


def _window(text: str) -> str:
    found = re.fullmatch(rf"since {_DATE}, overdue", text)
    if found:
        return _("since %(date)s, overdue") % {"date": _day(found[1])}
    found = re.fullmatch(rf"by {_DATE}", text)
    if found:
        return _("by %(date)s") % {"date": _day(found[1])}
    found = re.fullmatch(rf"{_DATE}\.\.{_DATE}", text)
    if found:
        return _("%(start)s to %(end)s") % {"start": _day(found[1]), "end": _day(found[2])}
    return text


def _detail(text: str) -> str:
    if text == "offers within range are available at other dates":
        return _("offers within range are available at other dates")
    if text == "no offer of this kind is available then":
        return _("no offer of this kind is available then")
    return text


def _category(code: str) -> str:
    found = CATEGORY.get(code)
    return str(found) if found is not None else code


def _reason_rules():
    return (
        (r"priority: (\w+)", lambda m: _("Priority: %(priority)s") % {
            "priority": str(PRIORITY_LABELS.get(m[1], m[1]))}),
        (rf"overdue by (\d+) days? \(needed by {_DATE}\)", lambda m: ngettext(
            "Overdue by %(num)d day (needed by %(date)s)",
            "Overdue by %(num)d days (needed by %(date)s)", int(m[1]),
        ) % {"num": int(m[1]), "date": _day(m[2])}),
        (rf"needed by {_DATE}", lambda m: _("Needed by %(date)s") % {"date": _day(m[1])}),
        (rf"distance {_NUM} km within radius {_NUM} km", lambda m: _(
            "%(distance)s km away, within the offer's radius of %(radius)s km"
        ) % {"distance": m[1], "radius": m[2]}),
        (rf"window overlap {_DATE}\.\.{_DATE}", lambda m: _(
            "Both available from %(start)s to %(end)s"
        ) % {"start": _day(m[1]), "end": _day(m[2])}),
        (r"partially served \((\d+) of (\d+)\); (\d+) left unmet: (.+)", lambda m: _(
            "Partly served (%(served)s of %(quantity)s); %(left)s left unmet: %(reason)s"
        ) % {"served": m[1], "quantity": m[2], "left": m[3], "reason": reason_text(m[4])}),
        (r"no offer in this category and unit", lambda m: _(
            "No offer in this category and unit")),
        (r"no offer in this category and unit \(category '(\w+)' is offered in: (.+)\)",
         lambda m: _(
            "No offer in this category and unit (%(category)s is offered in: %(units)s)"
        ) % {"category": _category(m[1]), "units": m[2]}),
        (r"offers in range do not have enough capacity", lambda m: _(
            "Offers in range do not have enough capacity")),
        (r"offers in range do not have enough capacity \((\d+) (.+) in total\)", lambda m: _(
            "Offers in range do not have enough capacity (%(quantity)s %(unit)s in total)"
        ) % {"quantity": m[1], "unit": m[2]}),
        (r"offers in range are committed to higher-priority or earlier needs", lambda m: _(
            "Offers in range are committed to higher-priority or earlier needs")),
        (r"offers in range are shared with other needs of the same priority and needed-by date",
         lambda m: _(
            "Offers in range are shared with other needs of the same priority and needed-by "
            "date")),
        (r"no offer within range", lambda m: _("No offer within range")),
        (rf"no offer within range \(nearest offer (\d+) is {_NUM} km away, radius {_NUM} km\)",
         lambda m: _(
            "No offer within range (the nearest, offer %(id)s, is %(distance)s km away and "
            "reaches %(radius)s km)"
        ) % {"id": m[1], "distance": m[2], "radius": m[3]}),
        (r"no offer available in the time window", lambda m: _(
            "No offer available in the time window")),
        (r"no offer available in the time window \(needed (.+); (.+)\)", lambda m: _(
            "No offer available in the time window (needed %(window)s; %(detail)s)"
        ) % {"window": _window(m[1]), "detail": _detail(m[2])}),
    )  # fmt: skip


def reason_text(text: str) -> str:
    """A matching reason in the reader's language; one this does not know, unchanged."""
    for pattern, render in _reason_rules():
        found = re.fullmatch(pattern, text)
        if found:
            return render(found)
    return text
