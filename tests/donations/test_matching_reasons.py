"""Every reason the matching engine gives reads in the page's language, dates as the site's."""

from datetime import date

from core.i18n import using_locale
from core.matching import NeedInput, OfferInput, match
from donations.labels import reason_text

TODAY = date(2026, 3, 16)


def _need(id, **kw):
    base = dict(category="water_sanitation", unit="litres", quantity=100, priority="critical",
                needed_by=date(2026, 3, 20), lat=30.0, lon=114.0)  # fmt: skip
    return NeedInput(id=id, **(base | kw))


def _offer(id, **kw):
    base = dict(category="water_sanitation", unit="litres", quantity=60, lat=30.0, lon=114.01,
                radius_km=20, available_from=date(2026, 3, 10),
                available_until=date(2026, 4, 1))  # fmt: skip
    return OfferInput(id=id, **(base | kw))


def _every_reason() -> list[str]:
    needs = [
        _need(1),  # partly served: the offer has 60 of 100
        _need(2, needed_by=date(2026, 3, 10)),  # overdue, competes for the same offer
        _need(3, category="food", unit="boxes"),  # food is offered in bags only
        _need(4, lat=40.0, lon=120.0),  # far from every offer
        _need(5, category="shelter", unit="tents", needed_by=date(2026, 3, 18)),
    ]
    offers = [
        _offer(10),
        _offer(11, category="food", unit="bags"),
        _offer(
            12,
            category="shelter",
            unit="tents",
            available_from=date(2026, 5, 1),
            available_until=date(2026, 5, 9),
        ),  # fmt: skip
    ]
    result = match(needs, offers, today=TODAY)
    reasons = [r for p in result.proposals for r in p.reasons] + [u.reason for u in result.unmet]
    assert len(result.unmet) >= 4 and result.proposals
    return reasons


def test_every_matching_reason_is_written_in_chinese():
    reasons = _every_reason()
    with using_locale("zh_Hans"):
        shown = [reason_text(r) for r in reasons]
    for english, chinese in zip(reasons, shown, strict=True):
        assert chinese != english, english
        assert not any(word in chinese for word in ("offer ", "needed", "km within", "overdue"))
    assert any("2026年3月" in text for text in shown)


def test_reasons_read_the_same_in_english_with_the_sites_dates():
    with using_locale("en"):
        shown = [reason_text(r) for r in _every_reason()]
    assert "Priority: Critical" in shown
    assert "Both available from Mar 16, 2026 to Apr 1, 2026" in shown
    assert any(
        "(needed by Mar 18, 2026; no offer of this kind is available then)" in t for t in shown
    )
    assert any("Overdue by 6 days (needed by Mar 10, 2026)" in text for text in shown)
