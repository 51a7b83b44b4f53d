"""Property test: core.matching against an independent lexicographic LP (scipy's HiGHS)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from core.matching import PRIORITIES, NeedInput, OfferInput, candidates, haversine_km, match

D0 = date(2026, 11, 20)
GROUPS = [("water", "litre"), ("water", "bottle"), ("shelter", "tent")]


def _day(offset: int) -> date:
    return D0 + timedelta(days=offset)


@st.composite
def instances(draw):
    """Small incidents in a 60 km box: a few groups, windows, late needs, a chosen today."""
    today = draw(st.none() | st.integers(0, 12).map(_day))
    needs = []
    for i in range(draw(st.integers(1, 8))):
        category, unit = draw(st.sampled_from(GROUPS))
        due = draw(st.integers(0, 14))
        opens = draw(st.none() | st.integers(0, due))
        needs.append(
            NeedInput(
                id=i + 1,
                category=category,
                unit=unit,
                quantity=draw(st.integers(1, 25)),
                priority=draw(st.sampled_from(PRIORITIES)),
                needed_by=_day(due),
                lat=draw(st.floats(30.0, 30.5)),
                lon=draw(st.floats(120.0, 120.6)),
                opens_on=None if opens is None else _day(opens),
            )
        )
    offers = []
    for j in range(draw(st.integers(0, 6))):
        category, unit = draw(st.sampled_from(GROUPS))
        begin = draw(st.integers(0, 14))
        offers.append(
            OfferInput(
                id=j + 1,
                category=category,
                unit=unit,
                quantity=draw(st.integers(1, 40)),
                lat=draw(st.floats(30.0, 30.5)),
                lon=draw(st.floats(120.0, 120.6)),
                radius_km=draw(st.floats(1.0, 80.0)),
                available_from=_day(begin),
                available_until=_day(begin + draw(st.integers(0, 10))),
            )
        )
    return needs, offers, today


def _eligible(needs, offers, today):
    """Pairs that may be matched, in metres, written from the rules, not from the engine."""
    pairs = {}
    for n in needs:
        for o in offers:
            if (n.category, n.unit) != (o.category, o.unit):
                continue
            start = o.available_from if n.opens_on is None else max(o.available_from, n.opens_on)
            if today is not None and n.needed_by < today:
                start, end = max(start, today), o.available_until
            else:
                end = min(o.available_until, n.needed_by)
            km = haversine_km(o.lat, o.lon, n.lat, n.lon)
            if start <= end and km <= o.radius_km:
                pairs[(n.id, o.id)] = round(km * 1000)
    return pairs


def _rank(n: NeedInput) -> tuple[int, date]:
    return (PRIORITIES.index(n.priority), n.needed_by)


# A transportation problem's optima are integral, so each stage is kept at its rounded value;
# HiGHS's default tolerance (1e-7 per row) would let the metres stage drift below the true
# optimum by that much per unit on arcs thousands of metres long.
_TIGHT = {"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10}


def _lexicographic_lp(needs, offers, pairs):
    """Served quantity per class (most urgent first), then the least total metres."""
    keys = sorted(pairs)
    classes = sorted({_rank(n) for n in needs})
    if not keys:
        return {c: 0 for c in classes}, 0
    by_need = {n.id: n for n in needs}
    rows, bounds = [], []
    for n in needs:
        rows.append([1.0 if k[0] == n.id else 0.0 for k in keys])
        bounds.append(n.quantity)
    for o in offers:
        rows.append([1.0 if k[1] == o.id else 0.0 for k in keys])
        bounds.append(o.quantity)
    served = {}
    for c in classes:
        gain = np.array([-1.0 if _rank(by_need[k[0]]) == c else 0.0 for k in keys])
        answer = linprog(
            gain, A_ub=rows, b_ub=bounds, bounds=(0, None), method="highs", options=_TIGHT
        )
        assert answer.status == 0
        served[c] = round(-answer.fun)
        # Keep this class's best while the next classes are optimised.
        rows.append(list(gain))
        bounds.append(-served[c] + 1e-9)
    metres = np.array([float(pairs[k]) for k in keys])
    answer = linprog(
        metres, A_ub=rows, b_ub=bounds, bounds=(0, None), method="highs", options=_TIGHT
    )
    assert answer.status == 0
    return served, answer.fun


@pytest.mark.parametrize("small_group", [candidates._SMALL_GROUP, 0], ids=["all-pairs", "index"])
@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(instance=instances())
def test_match_equals_an_independent_lexicographic_lp(instance, small_group, monkeypatch):
    # small_group 0 sends even the smallest group through the spatial index.
    monkeypatch.setattr(candidates, "_SMALL_GROUP", small_group)
    needs, offers, today = instance
    result = match(needs, offers, today=today)
    pairs = _eligible(needs, offers, today)
    by_need = {n.id: n for n in needs}
    served = defaultdict(int)
    metres = 0
    used = defaultdict(int)
    for p in result.proposals:
        assert (p.need_id, p.offer_id) in pairs, "only eligible pairs are proposed"
        served[_rank(by_need[p.need_id])] += p.quantity
        used[p.offer_id] += p.quantity
        metres += pairs[(p.need_id, p.offer_id)] * p.quantity
    for o in offers:
        assert used[o.id] <= o.quantity
    unmet = {u.need_id: u.quantity for u in result.unmet}
    for n in needs:
        got = sum(p.quantity for p in result.proposals if p.need_id == n.id)
        assert got + unmet.get(n.id, 0) == n.quantity
    best_served, best_metres = _lexicographic_lp(needs, offers, pairs)
    assert {c: served[c] for c in best_served} == best_served
    assert metres == pytest.approx(best_metres, abs=1e-6 * max(1.0, best_metres))
