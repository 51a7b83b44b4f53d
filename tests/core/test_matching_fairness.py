"""The fairness bound between areas: limits per area, who gives way, and exactness against an LP."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from core.fairness import area_index, lower_bounds
from core.matching import REASON_FAIRNESS, NeedInput, OfferInput, match
from tests.core.test_matching_property import _eligible, _rank

D0 = date(2026, 11, 20)
D1 = date(2026, 12, 1)


def need(id, quantity=10, *, area=1, priority="high", lon=0.0, covered=0, unit="litre"):
    return NeedInput(id, "water", unit, quantity, priority, D1, 0.0, lon, None, area, covered)


def offer(id, quantity=10, *, lon=0.0, radius_km=50.0, unit="litre"):
    return OfferInput(id, "water", unit, quantity, 0.0, lon, radius_km, D0, D1)


def served_by_area(result, needs):
    area = {n.id: n.area_id for n in needs}
    served = defaultdict(int)
    for p in result.proposals:
        served[area[p.need_id]] += p.quantity
    return served


def test_without_a_bound_the_critical_area_takes_everything():
    needs = [need(1, area=1, priority="critical"), need(2, area=2, priority="low")]
    result = match(needs, [offer(1, 10)])
    assert served_by_area(result, needs) == {1: 10}
    (group,) = result.fairness
    assert [(a.area_id, a.share()) for a in group.areas] == [(1, 1.0), (2, 0.0)]
    assert group.share() == 0.5 and group.served_bounded is None


def test_the_bound_holds_each_area_within_the_gap_of_the_incident_share():
    needs = [need(1, area=1, priority="critical"), need(2, area=2, priority="low")]
    result = match(needs, [offer(1, 10)], max_area_gap_pct=20)
    # Incident-wide share 50 %; no area below 30 %: the low-priority area gets 3 of 10.
    assert served_by_area(result, needs) == {1: 7, 2: 3}
    (group,) = result.fairness
    assert group.served == group.served_bounded == 10
    shares = {a.area_id: (a.share(), a.share(bounded=True), a.bound) for a in group.areas}
    assert shares == {1: (1.0, 0.7, 3), 2: (0.0, 0.3, 3)}
    short = {u.need_id: u for u in result.unmet}
    assert REASON_FAIRNESS in short[1].reason and REASON_FAIRNESS not in short[2].reason
    (raised,) = [p for p in result.proposals if p.need_id == 2]
    assert any("fairness bound" in r for r in raised.reasons)


def test_a_bound_already_kept_changes_nothing():
    needs = [need(1, area=1, priority="critical"), need(2, area=2, priority="low")]
    offers = [offer(1, 10)]
    assert match(needs, offers, max_area_gap_pct=50).proposals == match(needs, offers).proposals


def test_an_area_no_supply_can_reach_keeps_nobody_else_from_being_served():
    needs = [need(1, area=1), need(2, area=2, lon=5.0)]  # area 2 is 550 km away
    result = match(needs, [offer(1, 10, radius_km=50)], max_area_gap_pct=0)
    assert served_by_area(result, needs) == {1: 10}
    (group,) = result.fairness
    assert {a.area_id: a.share(bounded=True) for a in group.areas} == {1: 1.0, 2: 0.0}


def test_what_was_covered_before_counts_in_the_share():
    # Area 1 already had 10 of its 20 covered; area 2 nothing of 10. Supply 10, both reachable.
    needs = [need(1, 10, area=1, covered=10, priority="critical"), need(2, 10, area=2)]
    result = match(needs, [offer(1, 10)], max_area_gap_pct=10)
    # Group share after the run: 20 of 30; no area below 56.7 %: area 2 needs 6 of 10.
    assert served_by_area(result, needs) == {1: 4, 2: 6}


def test_needs_without_an_area_give_way_to_an_area_below_its_limit():
    needs = [
        NeedInput(1, "water", "litre", 10, "critical", D1, 0.0, 0.0),
        need(2, area=1, priority="low"),
        need(3, area=2, priority="low", covered=10),
    ]
    result = match(needs, [offer(1, 10)], max_area_gap_pct=0)
    served = served_by_area(result, needs)
    # Share 20 of 40 = 50 %: area 1 (nothing covered of 10) must reach 5.
    assert served[1] == 5 and served[None] == 5


def test_the_worst_served_area_comes_before_the_total_shortfall():
    # Areas 1 (100 needed, critical) and 2 (10, low) share 20 units; area 3 has its own 90.
    needs = [
        need(1, 100, area=1, priority="critical"),
        need(2, 10, area=2, priority="low", lon=0.1),
        need(3, 90, area=3, lon=3.0),
    ]
    offers = [offer(1, 20), offer(2, 90, lon=3.0)]
    result = match(needs, offers, max_area_gap_pct=0)
    # Share 110 of 200: limits 55 and 6. Any split of the 20 leaves 41 short in total, and
    # the critical need would take all 20 (area 2 at 0 %); the worst area's share comes
    # first: 18 and 2 hold both at 18 % or more, and 19 and 2 do not fit.
    assert served_by_area(result, needs) == {1: 18, 2: 2, 3: 90}
    (group,) = result.fairness
    shares = {a.area_id: a.share(bounded=True) for a in group.areas}
    assert shares == {1: 0.18, 2: 0.2, 3: 1.0}
    assert served_by_area(match(needs, offers), needs) == {1: 20, 3: 90}


def test_lower_bounds_are_exact_at_the_limit():
    index = np.array([0, 1])
    quantity, covered = np.array([10, 10]), np.array([0, 0])
    # Share 10 of 20 = 50 %; with 20.0 points the limit is exactly 30 % of 10 = 3.
    assert lower_bounds(20.0, index, 2, quantity, covered, np.array([10, 0])).tolist() == [3, 3]
    assert lower_bounds(0.1, index, 2, quantity, covered, np.array([10, 0])).tolist() == [5, 5]
    keys, idx = area_index(np.array([7, -1, 3, 7]))
    assert keys.tolist() == [3, 7] and idx.tolist() == [1, -1, 0, 1]


def test_the_bound_is_validated():
    with pytest.raises(ValueError):
        match([need(1)], [offer(1)], max_area_gap_pct=101)
    with pytest.raises(ValueError):
        match([need(1, covered=-1)], [offer(1)])


# --- against an independent LP ------------------------------------------------------------


def _day(offset: int) -> date:
    return D0 + timedelta(days=offset)


@st.composite
def instances(draw):
    """Small groups over three areas (and some needs without one) in a 60 km box."""
    units = ("litre", "bottle")
    needs = []
    for i in range(draw(st.integers(2, 9))):
        needs.append(
            NeedInput(
                id=i + 1,
                category="water",
                unit=draw(st.sampled_from(units)),
                quantity=draw(st.integers(1, 25)),
                priority=draw(st.sampled_from(("critical", "high", "medium", "low"))),
                needed_by=_day(draw(st.integers(0, 6))),
                lat=draw(st.floats(30.0, 30.5)),
                lon=draw(st.floats(120.0, 120.6)),
                area_id=draw(st.none() | st.integers(1, 3)),
                covered=draw(st.sampled_from((0, 0, 5, 20))),
            )
        )
    offers = []
    for j in range(draw(st.integers(1, 6))):
        offers.append(
            OfferInput(
                id=j + 1,
                category="water",
                unit=draw(st.sampled_from(units)),
                quantity=draw(st.integers(1, 40)),
                lat=draw(st.floats(30.0, 30.5)),
                lon=draw(st.floats(120.0, 120.6)),
                radius_km=draw(st.floats(5.0, 80.0)),
                available_from=_day(0),
                available_until=_day(draw(st.integers(0, 10))),
            )
        )
    return needs, offers, draw(st.sampled_from((0.0, 5.0, 12.5, 30.0)))


def _fair_milp(needs, offers, pairs, bounds):
    """Written from the rule, as an integer program (HiGHS), stage by stage: the highest share
    level every area is held to (an area at most to its limit, and to what its needs within
    reach can take), then the least total shortfall below the limits, then served per class,
    then metres. Answers the level (capped at 1), the shortfall, served per class, metres."""
    keys = sorted(pairs)
    areas = sorted(bounds)
    by_need = {n.id: n for n in needs}
    reach = {k[0] for k in keys}
    k, m = len(keys), len(areas)
    size = k + 2 * m + 1  # flows, shortfalls, "at its cap" switches, the level
    level = size - 1
    rows, low, high = [], [], []

    def row(entries, lo, hi):
        line = np.zeros(size)
        for index, value in entries:
            line[index] += value
        rows.append(line)
        low.append(lo)
        high.append(hi)

    for n in needs:
        row([(i, 1.0) for i, key in enumerate(keys) if key[0] == n.id], 0, n.quantity)
    for o in offers:
        row([(i, 1.0) for i, key in enumerate(keys) if key[1] == o.id], 0, o.quantity)
    for a, area in enumerate(areas):
        members = [n for n in needs if n.area_id == area]
        total = sum(n.quantity + n.covered for n in members)
        before = sum(n.covered for n in members)
        cap = min(bounds[area], sum(n.quantity for n in members if n.id in reach))
        served = [(i, 1.0) for i, key in enumerate(keys) if by_need[key[0]].area_id == area]
        # served + shortfall >= the limit
        row([*served, (k + a, 1.0)], bounds[area], np.inf)
        # at its cap (switch 1), or covered share >= the level: before + served >= level * total
        row([*served, (k + m + a, -cap)], 0, np.inf)
        row([*served, (level, -total), (k + m + a, total)], -before, np.inf)
    integral = np.array([1] * k + [0] * m + [1] * m + [0])
    lower = np.zeros(size)
    upper = np.array([np.inf] * (k + m) + [1.0] * m + [1.0])

    def solve(objective):
        answer = milp(
            objective,
            constraints=LinearConstraint(np.array(rows), low, high),
            integrality=integral,
            bounds=Bounds(lower, upper),
            options={"mip_rel_gap": 0},
        )
        assert answer.status == 0
        return answer.x

    best_level = solve(-np.eye(size)[level])[level]
    row([(level, 1.0)], best_level - 1e-9, np.inf)
    shortfall = np.array([0.0] * k + [1.0] * m + [0.0] * (m + 1))
    least = round(shortfall @ solve(shortfall))
    row([(k + a, 1.0) for a in range(m)], -np.inf, least + 0.5)
    served = {}
    for c in sorted({_rank(n) for n in needs}):
        gain = [(i, 1.0) for i, key in enumerate(keys) if _rank(by_need[key[0]]) == c]
        x = solve(-sum(np.eye(size)[i] for i, _ in gain) if gain else np.zeros(size))
        served[c] = round(sum(x[i] for i, _ in gain))
        row(gain, served[c] - 0.5, np.inf)
    x = solve(np.array([float(pairs[key]) for key in keys] + [0.0] * (2 * m + 1)))
    metres = sum(pairs[key] * round(x[i]) for i, key in enumerate(keys))
    return best_level, least, served, metres


def _level(members, pairs, bounds, served_area):
    """The share level an allocation holds every area to (capped at 1), as _fair_milp counts."""
    reach = {key[0] for key in pairs}
    level = 1.0
    for area, limit in bounds.items():
        in_area = [n for n in members if n.area_id == area]
        cap = min(limit, sum(n.quantity for n in in_area if n.id in reach))
        if served_area[area] < cap:
            share = (sum(n.covered for n in in_area) + served_area[area]) / sum(
                n.quantity + n.covered for n in in_area
            )
            level = min(level, share)
    return level


def _check_against_the_milp(instance, *, classes: bool) -> None:
    needs, offers, gap = instance
    result = match(needs, offers, max_area_gap_pct=gap)
    pairs = _eligible(needs, offers, None)
    by_need = {n.id: n for n in needs}
    for group in result.fairness:
        members = [n for n in needs if n.unit == group.unit]
        chosen = [p for p in result.proposals if by_need[p.need_id].unit == group.unit]
        group_pairs = {k: v for k, v in pairs.items() if by_need[k[0]].unit == group.unit}
        group_offers = [o for o in offers if o.unit == group.unit]
        bounds = {a.area_id: a.bound for a in group.areas}
        served_area = defaultdict(int)
        served_class = defaultdict(int)
        metres = 0
        for p in chosen:
            served_area[by_need[p.need_id].area_id] += p.quantity
            served_class[_rank(by_need[p.need_id])] += p.quantity
            metres += group_pairs[(p.need_id, p.offer_id)] * p.quantity
        # The limits follow the allocation they produced (the rounds settled).
        index = np.array([-1 if n.area_id is None else n.area_id for n in members])
        keys, idx = area_index(index)
        per_need = defaultdict(int)
        for p in chosen:
            per_need[p.need_id] += p.quantity
        again = lower_bounds(
            gap,
            idx,
            len(keys),
            np.array([n.quantity for n in members]),
            np.array([n.covered for n in members]),
            np.array([per_need[n.id] for n in members]),
        )
        assert dict(zip(keys.tolist(), again.tolist(), strict=True)) == bounds
        short = sum(max(0, bounds[a] - served_area[a]) for a in bounds)
        best_level, best_short, best_served, best_metres = _fair_milp(
            members, group_offers, group_pairs, bounds
        )
        assert _level(members, group_pairs, bounds, served_area) == pytest.approx(best_level)
        assert short == best_short
        if classes:
            assert {c: served_class[c] for c in best_served} == best_served
            assert metres == best_metres


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instance=instances())
def test_the_bounded_match_equals_an_independent_lp(instance):
    """The worst area's level and the total shortfall equal the integer program's."""
    _check_against_the_milp(instance, classes=False)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instance=instances())
def test_within_the_bound_classes_and_distance_equal_the_integer_program(instance):
    """Within the bound, served per class and then the distance equal the integer program's
    (a residual cycle through several areas can trade several units between classes, which
    one weighted solve got wrong; the levels are solved one after another now)."""
    _check_against_the_milp(instance, classes=True)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instance=instances(), by_flow=st.booleans())
def test_the_order_holds_when_each_stage_solves_one_level(instance, by_flow):
    """With no room for weights every level is its own stage, so each stage's fixing by
    reduced costs (and its potentials, by relaxation or else by a min-cost flow) carries the
    whole order."""
    from core.matching import lexicographic

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(lexicographic, "_INT_LIMIT", 1)
        if by_flow:
            patch.setattr(lexicographic, "_RELAX_ROUNDS", 0)
        _check_against_the_milp(instance, classes=True)


def test_a_cycle_through_several_areas_cannot_buy_lower_classes_with_a_critical_unit():
    # Found against the former single weighted solve: with the bound at 0 points it served
    # need 9 (critical) 3 units and two lower classes 2 more each, trading across areas 2
    # and 4; the class order gives the critical need 5.
    def n(id, quantity, priority, day, lat, lon, area, covered):
        return NeedInput(
            id, "water", "litre", quantity, priority, date(2026, 11, day), lat, lon, None,
            area, covered,
        )  # fmt: skip

    def o(id, quantity, lat, lon, radius_km):
        return OfferInput(
            id, "water", "litre", quantity, lat, lon, radius_km, D0, D0 + timedelta(10)
        )

    needs = [
        n(1, 9, "high", 23, 30.1802, 120.1551, 2, 5),
        n(2, 3, "low", 24, 30.2007, 120.0592, 4, 0),
        n(3, 7, "low", 23, 30.1008, 120.1865, None, 0),
        n(4, 4, "medium", 25, 30.0062, 120.2164, 1, 5),
        n(5, 7, "medium", 26, 30.0534, 120.0220, 4, 0),
        n(6, 6, "medium", 26, 30.2124, 120.2622, 4, 0),
        n(7, 3, "low", 26, 30.0778, 120.0509, 4, 0),
        n(8, 5, "critical", 25, 30.1772, 120.0209, None, 5),
        n(9, 8, "critical", 21, 30.1521, 120.2838, None, 0),
    ]
    offers = [
        o(1, 10, 30.0913, 120.1584, 10.93),
        o(2, 6, 30.0807, 120.0225, 25.77),
        o(3, 9, 30.1976, 120.1404, 18.94),
    ]
    result = match(needs, offers, max_area_gap_pct=0)
    assert sum(p.quantity for p in result.proposals if p.need_id == 9) == 5
    _check_against_the_milp((needs, offers, 0.0), classes=True)
