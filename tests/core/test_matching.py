"""Tests for the min-cost-flow matching engine in core.matching."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta

import pytest
from ortools.linear_solver import pywraplp

from core.matching import (
    PRIORITIES,
    REASON_COMMITTED,
    REASON_NO_CATEGORY,
    REASON_NO_WINDOW,
    REASON_NOT_ENOUGH,
    REASON_OUT_OF_RANGE,
    REASON_SHARED,
    MatchResult,
    NeedInput,
    OfferInput,
    Proposal,
    Unmet,
    haversine_km,
    match,
)

D0 = date(2026, 11, 20)
D1 = date(2026, 12, 1)
KM_PER_DEG = 111.19508  # one degree of longitude at the equator for R = 6371.0088 km


def need(
    id: int,
    quantity: int = 10,
    *,
    priority: str = "high",
    needed_by: date = D1,
    lon: float = 0.0,
    lat: float = 0.0,
    category: str = "water",
    unit: str = "litre",
    opens_on: date | None = None,
) -> NeedInput:
    return NeedInput(id, category, unit, quantity, priority, needed_by, lat, lon, opens_on)


def offer(
    id: int,
    quantity: int = 10,
    *,
    lon: float = 0.0,
    lat: float = 0.0,
    radius_km: float = 50.0,
    available_from: date = D0,
    available_until: date = D1,
    category: str = "water",
    unit: str = "litre",
) -> OfferInput:
    return OfferInput(
        id, category, unit, quantity, lat, lon, radius_km, available_from, available_until
    )


def km(x: float) -> float:
    """Longitude (degrees, on the equator) that lies x km east of the origin."""
    return x / KM_PER_DEG


def allocation(result: MatchResult) -> dict[tuple[int, int], int]:
    return {(p.need_id, p.offer_id): p.quantity for p in result.proposals}


def unmet_of(result: MatchResult) -> dict[int, Unmet]:
    return {u.need_id: u for u in result.unmet}


def assert_consistent(needs, offers, result: MatchResult) -> None:
    served = defaultdict(int)
    used = defaultdict(int)
    for p in result.proposals:
        assert p.quantity > 0
        served[p.need_id] += p.quantity
        used[p.offer_id] += p.quantity
    unmet = unmet_of(result)
    assert len(unmet) == len(result.unmet), "one Unmet per need at most"
    for n in needs:
        left = unmet[n.id].quantity if n.id in unmet else 0
        assert served[n.id] + left == n.quantity, n.id
    for o in offers:
        assert used[o.id] <= o.quantity, o.id


# --- basics -----------------------------------------------------------------------------


def test_haversine_known_distances():
    # Paris - London is about 343.5 km along the great circle.
    assert haversine_km(48.8566, 2.3522, 51.5074, -0.1278) == pytest.approx(343.5, abs=0.5)
    assert haversine_km(10.0, 20.0, 10.0, 20.0) == 0.0
    assert haversine_km(0.0, 0.0, 0.0, 1.0) == pytest.approx(KM_PER_DEG, rel=1e-6)
    assert haversine_km(1.0, 2.0, 3.0, 4.0) == pytest.approx(haversine_km(3.0, 4.0, 1.0, 2.0))
    # Antipodes must not blow up on rounding (asin argument slightly above 1).
    assert haversine_km(0.0, 0.0, 0.0, 180.0) == pytest.approx(20015.1, abs=0.1)


def test_simple_match_carries_reasons():
    result = match([need(1, 5, priority="critical", opens_on=D0)], [offer(7, 8, lon=km(12.3))])
    assert result.unmet == []
    assert len(result.proposals) == 1
    p = result.proposals[0]
    assert (p.need_id, p.offer_id, p.quantity) == (1, 7, 5)
    assert p.distance_km == pytest.approx(12.3, abs=0.001)
    assert p.reasons == (
        "priority: critical",
        "needed by 2026-12-01",
        "distance 12.3 km within radius 50 km",
        "window overlap 2026-11-20..2026-12-01",
    )


def test_empty_inputs():
    assert match([], []) == MatchResult(proposals=[], unmet=[])
    assert match([], [offer(1)]) == MatchResult(proposals=[], unmet=[])


def test_zero_quantity_inputs_are_ignored():
    result = match([need(1, 0), need(2, 5)], [offer(1, 0), offer(2, 5)])
    assert allocation(result) == {(2, 2): 5}
    assert result.unmet == []


@pytest.mark.parametrize(
    ("needs", "offers"),
    [
        ([need(1), need(1)], [offer(1)]),
        ([need(1)], [offer(1), offer(1)]),
        ([need(1, priority="urgent")], [offer(1)]),
        ([need(1, -1)], [offer(1)]),
        ([need(1)], [offer(1, -1)]),
    ],
)
def test_invalid_input_is_rejected(needs, offers):
    with pytest.raises(ValueError):
        match(needs, offers)


# --- eligibility and unmet reasons -------------------------------------------------------


def test_category_mismatch_is_unmet():
    result = match([need(1, category="food")], [offer(1, category="water")])
    assert result.proposals == []
    assert result.unmet == [Unmet(1, 10, REASON_NO_CATEGORY)]


def test_unit_mismatch_is_unmet_and_names_other_units():
    result = match([need(1, unit="litre")], [offer(1, unit="bottle")])
    assert result.proposals == []
    (u,) = result.unmet
    assert u.quantity == 10
    assert u.reason.startswith(REASON_NO_CATEGORY)
    assert "bottle" in u.reason


def test_out_of_radius_is_unmet():
    result = match([need(1)], [offer(1, lon=km(60), radius_km=50)])
    assert result.proposals == []
    (u,) = result.unmet
    assert u.quantity == 10
    assert u.reason.startswith(REASON_OUT_OF_RANGE)
    assert "60.0 km" in u.reason


def test_radius_is_inclusive_and_uses_the_offer_radius():
    # Same pair, 30 km apart: only the offer's own radius decides.
    near = match([need(1)], [offer(1, lon=km(30), radius_km=30.001)])
    assert allocation(near) == {(1, 1): 10}
    far = match([need(1)], [offer(1, lon=km(30), radius_km=29.99)])
    assert far.proposals == []


def test_out_of_radius_in_latitude_is_unmet():
    # Exercises the latitude pre-filter: far north, same longitude.
    result = match([need(1, lat=0.0)], [offer(1, lat=1.0, radius_km=100)])
    assert result.proposals == []
    assert result.unmet[0].reason.startswith(REASON_OUT_OF_RANGE)
    ok = match([need(1, lat=0.0)], [offer(1, lat=0.8, radius_km=100)])
    assert allocation(ok) == {(1, 1): 10}


@pytest.mark.parametrize(
    ("opens_on", "needed_by", "available_from", "available_until"),
    [
        # Offer starts after the need's deadline.
        (None, date(2026, 11, 10), date(2026, 11, 11), date(2026, 12, 31)),
        # Offer ends before the need opens.
        (date(2026, 11, 20), D1, date(2026, 11, 1), date(2026, 11, 19)),
        # Need window is empty (opens after it is needed by).
        (date(2026, 12, 5), D1, date(2026, 11, 1), date(2026, 12, 31)),
        # Offer window is empty.
        (None, D1, date(2026, 11, 25), date(2026, 11, 24)),
    ],
)
def test_window_mismatch_is_unmet(opens_on, needed_by, available_from, available_until):
    result = match(
        [need(1, opens_on=opens_on, needed_by=needed_by)],
        [offer(1, available_from=available_from, available_until=available_until)],
    )
    assert result.proposals == []
    (u,) = result.unmet
    assert u.quantity == 10
    assert u.reason.startswith(REASON_NO_WINDOW)


@pytest.mark.parametrize(
    ("opens_on", "available_from", "available_until", "overlap"),
    [
        (None, date(2026, 1, 1), date(2026, 1, 1), "2026-01-01..2026-01-01"),
        (D0, date(2026, 11, 1), D0, "2026-11-20..2026-11-20"),
        (D0, D1, date(2027, 1, 1), "2026-12-01..2026-12-01"),
        (None, date(2026, 11, 25), date(2027, 1, 1), "2026-11-25..2026-12-01"),
    ],
)
def test_window_overlap_boundaries(opens_on, available_from, available_until, overlap):
    result = match(
        [need(1, opens_on=opens_on)],
        [offer(1, available_from=available_from, available_until=available_until)],
    )
    (p,) = result.proposals
    assert f"window overlap {overlap}" in p.reasons


def test_near_offers_at_other_dates_report_the_window():
    result = match(
        [need(1)],
        [
            offer(1, lon=km(100), radius_km=10),  # in window, too far
            offer(2, available_from=date(2027, 1, 1), available_until=date(2027, 2, 1)),
        ],
    )
    assert result.unmet[0].reason.startswith(REASON_NO_WINDOW)
    only_far = match([need(1)], [offer(1, lon=km(100), radius_km=10)])
    assert only_far.unmet[0].reason.startswith(REASON_OUT_OF_RANGE)


def test_capacity_committed_to_higher_priority_is_explained():
    result = match(
        [need(1, 10, priority="critical"), need(2, 10, priority="low")],
        [offer(1, 10)],
    )
    assert allocation(result) == {(1, 1): 10}
    assert result.unmet == [Unmet(2, 10, REASON_COMMITTED)]


def test_capacity_committed_to_earlier_need_is_explained():
    result = match(
        [need(1, 10, needed_by=D0), need(2, 10, needed_by=D1)],
        [offer(1, 10, available_from=date(2026, 11, 1))],
    )
    assert allocation(result) == {(1, 1): 10}
    assert result.unmet == [Unmet(2, 10, REASON_COMMITTED)]


def test_shared_capacity_between_equal_needs_is_explained():
    needs, offers = [need(1, 10), need(2, 10)], [offer(1, 12)]
    result = match(needs, offers)
    assert_consistent(needs, offers, result)
    # Equal needs may split the shortfall either way; each leftover must say why.
    assert sum(u.quantity for u in result.unmet) == 8
    assert all(u.reason.endswith(REASON_SHARED) for u in result.unmet)


def test_partial_service_says_how_much_and_why():
    result = match([need(1, 100)], [offer(1, 30), offer(2, 25, lon=km(5))])
    assert allocation(result) == {(1, 1): 30, (1, 2): 25}
    (u,) = result.unmet
    assert u.quantity == 45
    assert u.reason.startswith("partially served (55 of 100); 45 left unmet: ")
    assert f"{REASON_NOT_ENOUGH} (55 litre in total)" in u.reason


def test_partial_service_behind_higher_priority():
    needs = [need(1, 50, priority="critical"), need(2, 50, priority="medium")]
    result = match(needs, [offer(1, 70)])
    assert allocation(result) == {(1, 1): 50, (2, 1): 20}
    (u,) = result.unmet
    assert (u.need_id, u.quantity) == (2, 30)
    assert u.reason.startswith("partially served (20 of 50); 30 left unmet: ")
    assert u.reason.endswith(REASON_COMMITTED)


# --- objective order ---------------------------------------------------------------------


def test_scarce_supply_goes_to_critical_even_if_low_is_nearer():
    needs = [
        need(1, 10, priority="low", lon=km(1)),
        need(2, 10, priority="critical", lon=km(45)),
    ]
    result = match(needs, [offer(1, 10)])
    assert allocation(result) == {(2, 1): 10}
    assert unmet_of(result)[1].reason == REASON_COMMITTED


@pytest.mark.parametrize("higher", PRIORITIES[:-1])
def test_every_priority_level_beats_the_next(higher):
    lower = PRIORITIES[PRIORITIES.index(higher) + 1]
    needs = [
        need(1, 5, priority=lower, lon=km(1), needed_by=D0),
        need(2, 5, priority=higher, lon=km(49), needed_by=D1),
    ]
    result = match(needs, [offer(1, 5, available_from=date(2026, 11, 1))])
    assert allocation(result) == {(2, 1): 5}


def test_earlier_needed_by_wins_among_equal_priority():
    needs = [
        need(1, 10, needed_by=date(2026, 12, 10), lon=km(1)),
        need(2, 10, needed_by=date(2026, 11, 25), lon=km(40)),
    ]
    result = match(needs, [offer(1, 10, available_until=date(2026, 12, 31))])
    assert allocation(result) == {(2, 1): 10}


def test_nearer_offer_used_among_equal_needs():
    result = match([need(1, 10)], [offer(1, 10, lon=km(30)), offer(2, 10, lon=km(3))])
    assert allocation(result) == {(1, 2): 10}


def test_nearer_need_served_among_equal_needs():
    needs = [need(1, 10, lon=km(30)), need(2, 10, lon=km(3))]
    result = match(needs, [offer(1, 10)])
    assert allocation(result) == {(2, 1): 10}


def test_need_split_across_two_offers():
    result = match([need(1, 100)], [offer(1, 60, lon=km(2)), offer(2, 40, lon=km(4))])
    assert allocation(result) == {(1, 1): 60, (1, 2): 40}
    assert result.unmet == []


def test_offer_split_across_two_needs():
    needs = [need(1, 30, lon=km(2)), need(2, 45, lon=km(-3))]
    result = match(needs, [offer(1, 100)])
    assert allocation(result) == {(1, 1): 30, (2, 1): 45}
    assert result.unmet == []


def test_groups_are_independent():
    needs = [
        need(1, 10, category="water"),
        need(2, 10, category="food", unit="kg"),
        need(3, 10, category="food", unit="kg", priority="critical"),
    ]
    offers = [offer(1, 10, category="water"), offer(2, 10, category="food", unit="kg")]
    result = match(needs, offers)
    assert allocation(result) == {(1, 1): 10, (3, 2): 10}
    assert result.unmet == [Unmet(2, 10, REASON_COMMITTED)]


def test_huge_quantities_and_radii_keep_priority_exact():
    # Forces distance costs to be coarsened to stay within int64; priorities must hold.
    big = 10**12
    needs = [
        need(1, big, priority="low", lon=km(10)),
        need(2, big, priority="critical", lon=km(9000)),
        need(3, big, priority="medium", lon=km(-5000)),
    ]
    offers = [offer(1, big + 5, radius_km=20000), offer(2, big, lon=km(50), radius_km=20000)]
    result = match(needs, offers)
    assert_consistent(needs, offers, result)
    served = defaultdict(int)
    for p in result.proposals:
        served[p.need_id] += p.quantity
    assert served == {2: big, 3: big, 1: 5}


# --- exactness ---------------------------------------------------------------------------


def test_optimum_beats_greedy_by_distance():
    # Greedy nearest-pair-first gives offer 1 to need 1 and strands need 2; the optimum
    # routes need 1 to the farther offer 2 so both are served.
    needs = [need(1, 10, lon=km(1)), need(2, 10, lon=km(-8))]
    offers = [
        offer(1, 10, radius_km=10),
        offer(2, 10, lon=km(20), radius_km=20),  # reaches need 1 only
    ]
    result = match(needs, offers)
    assert allocation(result) == {(1, 2): 10, (2, 1): 10}
    assert result.unmet == []


def test_optimum_beats_greedy_by_priority():
    # Serving the critical need from its nearest offer would starve the low need; the
    # optimum keeps the critical need whole and still serves the low one.
    needs = [need(1, 10, priority="critical"), need(2, 10, priority="low", lon=km(-20))]
    offers = [
        offer(1, 10, lon=km(-5), radius_km=30),  # reaches both
        offer(2, 10, lon=km(25), radius_km=30),  # reaches the critical need only
    ]
    result = match(needs, offers)
    assert allocation(result) == {(1, 2): 10, (2, 1): 10}
    assert result.unmet == []


def test_distance_never_outweighs_a_unit_of_higher_priority():
    # Offer j sits 1 km from need j and 99 km from need j-1. Serving the critical need 0
    # without dropping a high need shifts the whole chain onto the 99 km edges and strands
    # only the low need at the end; a cost gap sized for one edge would prefer the short
    # edges and leave the critical need unserved.
    n = 6
    needs = [need(0, 1, priority="critical")]
    needs += [need(i, 1, priority="high", lon=km(100 * i)) for i in range(1, n)]
    needs.append(need(n, 1, priority="low", lon=km(100 * n)))
    offers = [offer(j, 1, lon=km(100 * j - 1), radius_km=99.5) for j in range(1, n + 1)]
    result = match(needs, offers)
    assert allocation(result) == {(j - 1, j): 1 for j in range(1, n + 1)}
    assert result.unmet == [Unmet(n, 1, REASON_COMMITTED)]


def _eligible_pairs(needs, offers):
    pairs = {}
    for n in needs:
        for o in offers:
            if (n.category, n.unit) != (o.category, o.unit):
                continue
            start = o.available_from if n.opens_on is None else max(o.available_from, n.opens_on)
            if start > min(o.available_until, n.needed_by):
                continue
            d = haversine_km(o.lat, o.lon, n.lat, n.lon)
            if d <= o.radius_km:
                pairs[(n.id, o.id)] = round(d * 1000)
    return pairs


def _class(n: NeedInput) -> tuple[int, date]:
    return (PRIORITIES.index(n.priority), n.needed_by)


def _objective(needs, pairs, flows):
    """Lexicographic key to maximise: served per class (best first), then -metres."""
    classes = sorted({_class(n) for n in needs})
    served = defaultdict(int)
    by_id = {n.id: n for n in needs}
    metres = 0
    for (nid, oid), q in flows.items():
        served[_class(by_id[nid])] += q
        metres += pairs[(nid, oid)] * q
    return (*(served[c] for c in classes), -metres)


def _random_instance(rng: random.Random, n_needs: int, n_offers: int, max_q: int):
    dates = [date(2026, 11, 20) + timedelta(days=k) for k in range(4)]
    needs = [
        need(
            i,
            rng.randint(1, max_q),
            priority=rng.choice(PRIORITIES),
            needed_by=rng.choice(dates[1:]),
            opens_on=rng.choice([None, dates[0], dates[1]]),
            lon=km(rng.uniform(0, 40)),
            lat=rng.uniform(-0.1, 0.1),
        )
        for i in range(n_needs)
    ]
    offers = [
        offer(
            j,
            rng.randint(1, max_q),
            lon=km(rng.uniform(0, 40)),
            lat=rng.uniform(-0.1, 0.1),
            radius_km=rng.uniform(5, 40),
            available_from=rng.choice(dates),
            available_until=rng.choice(dates[1:] + [date(2026, 12, 31)]),
        )
        for j in range(n_offers)
    ]
    return needs, offers


def _brute_force_best(needs, offers):
    costs = _eligible_pairs(needs, offers)
    pairs = sorted(costs)
    need_left = {n.id: n.quantity for n in needs}
    offer_left = {o.id: o.quantity for o in offers}
    best = None
    flows: dict[tuple[int, int], int] = {}

    def rec(k: int) -> None:
        nonlocal best
        if k == len(pairs):
            key = _objective(needs, costs, flows)
            if best is None or key > best:
                best = key
            return
        nid, oid = pairs[k]
        for q in range(min(need_left[nid], offer_left[oid]) + 1):
            flows[(nid, oid)] = q
            need_left[nid] -= q
            offer_left[oid] -= q
            rec(k + 1)
            need_left[nid] += q
            offer_left[oid] += q
        flows.pop((nid, oid), None)

    rec(0)
    return best


@pytest.mark.parametrize("seed", range(60))
def test_matches_brute_force_on_small_random_instances(seed):
    rng = random.Random(seed)
    needs, offers = _random_instance(rng, rng.randint(2, 3), rng.randint(1, 3), 3)
    result = match(needs, offers)
    assert_consistent(needs, offers, result)
    pairs = _eligible_pairs(needs, offers)
    assert _objective(needs, pairs, allocation(result)) == _brute_force_best(needs, offers)


def _lexicographic_lp(needs, offers):
    """Independent check: solve priority classes one at a time with an LP (GLOP)."""
    solver = pywraplp.Solver.CreateSolver("GLOP")
    pairs = _eligible_pairs(needs, offers)
    x = {p: solver.NumVar(0, solver.infinity(), f"x{p}") for p in pairs}
    for n in needs:
        solver.Add(sum(v for (nid, _), v in x.items() if nid == n.id) <= n.quantity)
    for o in offers:
        solver.Add(sum(v for (_, oid), v in x.items() if oid == o.id) <= o.quantity)
    by_id = {n.id: n for n in needs}
    served = []
    for c in sorted({_class(n) for n in needs}):
        expr = sum(v for (nid, _), v in x.items() if _class(by_id[nid]) == c)
        if isinstance(expr, int):  # no eligible pair for this class
            served.append(0)
            continue
        solver.Maximize(expr)
        assert solver.Solve() == pywraplp.Solver.OPTIMAL
        best = round(solver.Objective().Value())
        served.append(best)
        solver.Add(expr >= best - 1e-6)
    if x:
        solver.Minimize(sum(pairs[p] * v for p, v in x.items()))
        assert solver.Solve() == pywraplp.Solver.OPTIMAL
        metres = round(solver.Objective().Value())
    else:
        metres = 0
    return (*served, -metres)


@pytest.mark.parametrize("seed", range(15))
def test_matches_lexicographic_lp_on_random_instances(seed):
    rng = random.Random(1000 + seed)
    needs, offers = _random_instance(rng, 25, 10, 40)
    result = match(needs, offers)
    assert_consistent(needs, offers, result)
    pairs = _eligible_pairs(needs, offers)
    assert _objective(needs, pairs, allocation(result)) == _lexicographic_lp(needs, offers)


# --- invariants and determinism -------------------------------------------------------


def _medium_instance(seed: int):
    rng = random.Random(seed)
    needs, offers = _random_instance(rng, 150, 40, 60)
    # Spread across categories/units so grouping and the no-category path are exercised.
    needs = [
        NeedInput(
            n.id,
            rng.choice(["water", "food", "tents"]),
            n.unit,
            n.quantity,
            n.priority,
            n.needed_by,
            n.lat,
            n.lon,
            n.opens_on,
        )
        for n in needs
    ]
    offers = [
        OfferInput(
            o.id,
            rng.choice(["water", "food"]),
            o.unit,
            o.quantity,
            o.lat,
            o.lon,
            o.radius_km,
            o.available_from,
            o.available_until,
        )
        for o in offers
    ]
    return needs, offers


@pytest.mark.parametrize("seed", range(5))
def test_quantities_add_up_on_medium_instances(seed):
    needs, offers = _medium_instance(seed)
    result = match(needs, offers)
    assert_consistent(needs, offers, result)
    assert result.proposals, "instance should not be degenerate"
    assert any(u.reason == REASON_NO_CATEGORY for u in result.unmet)
    for u in result.unmet:
        assert u.quantity > 0
        assert u.reason
    # The proposal list is sorted and never repeats a pair.
    keys = [(p.need_id, p.offer_id) for p in result.proposals]
    assert keys == sorted(set(keys))
    for p in result.proposals:
        assert isinstance(p, Proposal)
        assert len(p.reasons) == 4


def test_no_lower_class_need_holds_capacity_an_unmet_higher_need_could_use():
    needs, offers = _medium_instance(99)
    result = match(needs, offers)
    pairs = _eligible_pairs(needs, offers)
    by_id = {n.id: n for n in needs}
    unmet = unmet_of(result)
    for p in result.proposals:
        holder = by_id[p.need_id]
        for nid, u in unmet.items():
            if (nid, p.offer_id) in pairs:
                assert _class(by_id[nid]) >= _class(holder), (u, p)


def test_deterministic_and_independent_of_input_order():
    needs, offers = _medium_instance(7)
    first = match(needs, offers)
    assert match(needs, offers) == first
    rng = random.Random(3)
    shuffled_needs, shuffled_offers = needs[:], offers[:]
    rng.shuffle(shuffled_needs)
    rng.shuffle(shuffled_offers)
    assert match(shuffled_needs, shuffled_offers) == first


# --- overdue needs ------------------------------------------------------------------------

TODAY = date(2026, 12, 1)


def test_an_overdue_need_is_still_matched_and_says_how_late_it_is():
    tents = need(1, 5, priority="critical", needed_by=date(2026, 11, 25), category="shelter",
                 unit="tent")  # fmt: skip
    stock = offer(1, 5, category="shelter", unit="tent", available_from=date(2026, 11, 28),
                  available_until=date(2026, 12, 20))  # fmt: skip
    # Without today the engine only sees dates: the windows do not overlap.
    assert unmet_of(match([tents], [stock]))[1].reason.startswith(REASON_NO_WINDOW)
    result = match([tents], [stock], today=TODAY)
    assert allocation(result) == {(1, 1): 5}
    assert "overdue by 6 days (needed by 2026-11-25)" in result.proposals[0].reasons
    assert result.proposals[0].reasons[-1] == "window overlap 2026-12-01..2026-12-20"


def test_the_latest_need_ranks_first_within_its_priority():
    needs = [
        need(1, 10, needed_by=date(2026, 11, 30), lon=km(1)),
        need(2, 10, needed_by=date(2026, 11, 10), lon=km(40)),
        need(3, 10, needed_by=date(2026, 12, 5), lon=km(1)),
        need(4, 10, priority="critical", needed_by=date(2026, 12, 9), lon=km(2)),
    ]
    supply = [offer(1, 20, available_until=date(2026, 12, 31))]
    result = match(needs, supply, today=TODAY)
    # Critical first, then the high need 21 days late, ahead of the one 1 day late.
    assert allocation(result) == {(4, 1): 10, (2, 1): 10}
    assert unmet_of(result)[1].reason == REASON_COMMITTED


def test_only_the_offer_window_limits_an_overdue_need():
    late = need(1, 10, needed_by=date(2026, 11, 20))
    gone = offer(1, 10, available_from=date(2026, 11, 1), available_until=date(2026, 11, 30))
    result = match([late], [gone], today=TODAY)
    reason = unmet_of(result)[1].reason
    assert reason.startswith(REASON_NO_WINDOW) and "overdue" in reason
    later = offer(2, 10, available_from=date(2027, 1, 5), available_until=date(2027, 1, 9))
    assert allocation(match([late], [gone, later], today=TODAY)) == {(1, 2): 10}


# --- the spatial index ----------------------------------------------------------------------


def _spread_instance(seed: int, lat0: float, lon0: float, spread: float, max_radius: float):
    """Enough pairs to go through the spatial index, around a chosen place."""
    rng = random.Random(seed)

    def place() -> tuple[float, float]:
        lat = max(-90.0, min(90.0, lat0 + rng.uniform(-spread, spread)))
        return lat, (lon0 + rng.uniform(-spread, spread) + 180) % 360 - 180

    needs = []
    for i in range(300):
        lat, lon = place()
        needs.append(need(i, rng.randint(1, 30), priority=rng.choice(PRIORITIES), lat=lat,
                          lon=lon, needed_by=D0 + timedelta(days=rng.randint(0, 15))))  # fmt: skip
    offers = []
    for j in range(200):
        lat, lon = place()
        begin = D0 + timedelta(days=rng.randint(0, 20))
        offers.append(offer(j, rng.randint(1, 60), lat=lat, lon=lon,
                            radius_km=rng.uniform(1, max_radius), available_from=begin,
                            available_until=begin + timedelta(days=rng.randint(0, 5))))  # fmt: skip
    return needs, offers


PLACES = [
    (30.0, 120.0, 1.5, 100.0),  # a province
    (0.0, 179.8, 1.0, 150.0),  # across the date line
    (89.0, 0.0, 2.0, 300.0),  # around the north pole
    (-89.5, -179.0, 3.0, 500.0),  # the south pole and the date line
    (45.0, 10.0, 60.0, 20000.0),  # radii larger than the Earth
]


@pytest.mark.parametrize("place", PLACES)
def test_spatial_index_keeps_every_pair_in_range_and_window(place):

    from core.matching import arrays, candidates

    needs, offers = _spread_instance(5, *place)
    today = D0 + timedelta(days=4)
    n, o = arrays.need_arrays(needs, today), arrays.offer_arrays(offers)
    assert len(needs) * len(offers) > candidates._SMALL_GROUP, "must exercise the index"
    found = set()
    for ni, oj in candidates.candidate_pairs(n, o):
        found.update(zip(ni.tolist(), oj.tolist(), strict=True))

    def window_ok(nd: NeedInput, of: OfferInput) -> bool:
        if nd.needed_by < today:  # late: from today until the offer's window closes
            return max(of.available_from, today) <= of.available_until
        return of.available_from <= min(of.available_until, nd.needed_by)

    in_range = {
        (i, j)
        for i, nd in enumerate(needs)
        for j, of in enumerate(offers)
        if haversine_km(of.lat, of.lon, nd.lat, nd.lon) <= of.radius_km and window_ok(nd, of)
    }
    assert in_range, "instance should not be degenerate"
    assert in_range <= found
    # Far pairs are mostly never compared (for the province, where radii are local).
    if place[3] <= 100:
        assert len(found) < 0.5 * len(needs) * len(offers)


@pytest.mark.parametrize("place", PLACES)
def test_spatial_index_gives_the_same_result_as_comparing_all_pairs(place, monkeypatch):
    from core.matching import candidates

    needs, offers = _spread_instance(11, *place)
    indexed = match(needs, offers, today=D0 + timedelta(days=5))
    monkeypatch.setattr(candidates, "_SMALL_GROUP", 10**9)
    assert match(needs, offers, today=D0 + timedelta(days=5)) == indexed
    assert indexed.proposals


def test_candidates_come_in_bounded_chunks(monkeypatch):
    from core.matching import arrays, candidates

    monkeypatch.setattr(candidates, "_CHUNK", 1000)
    needs, offers = _spread_instance(3, *PLACES[0])
    n, o = arrays.need_arrays(needs, None), arrays.offer_arrays(offers)
    chunks = list(candidates.candidate_pairs(n, o))
    assert len(chunks) > 3
    # A chunk overshoots only by the pairs of its last query (one offer and latitude row).
    assert max(len(ni) for ni, _ in chunks) < 1000 + len(needs)
    monkeypatch.setattr(candidates, "_CHUNK", 1 << 20)
    small = match(needs, offers)
    monkeypatch.setattr(candidates, "_CHUNK", 1000)
    assert match(needs, offers) == small


def test_volunteer_recommendations_judge_distance_and_windows_with_the_engines_code():
    # Issue 12 item 6: the same functions, not a copy of them.
    from core.matching import candidates, reasons
    from volunteers.service import recommend

    assert recommend.haversine_km is reasons.haversine_km is haversine_km
    assert recommend.window_overlap is candidates.window_overlap is reasons.window_overlap
