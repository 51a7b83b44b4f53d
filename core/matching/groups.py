"""Matching one category and unit: arcs, solve, proposals with reasons, shares per area."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import date

import numpy as np

from core.fairness import AreaShare, GroupFairness, area_totals, lower_bounds
from core.matching.arrays import NeedArrays, math_km, need_arrays, offer_arrays
from core.matching.bounded import bounded_flows
from core.matching.candidates import eligible_arcs, served_per_need
from core.matching.inputs import PRIORITIES, PRIORITY_RANK, NeedInput, OfferInput, Proposal, Unmet
from core.matching.network import build_network, solve_network
from core.matching.reasons import deadline_reason, explain, fmt_km


def by_group(needs: Sequence[NeedInput], offers: Sequence[OfferInput]):
    """Per category and unit: its open needs and live offers (by id), and the category's
    other offered units."""
    # Sorting by id makes the output independent of input order as well as repeatable.
    open_needs = sorted((n for n in needs if n.quantity > 0), key=lambda n: n.id)
    live_offers = sorted((o for o in offers if o.quantity > 0), key=lambda o: o.id)
    offers_by_group: dict[tuple[str, str], list[OfferInput]] = defaultdict(list)
    units_by_category: dict[str, set[str]] = defaultdict(set)
    for o in live_offers:
        offers_by_group[(o.category, o.unit)].append(o)
        units_by_category[o.category].add(o.unit)
    needs_by_group: dict[tuple[str, str], list[NeedInput]] = defaultdict(list)
    for n in open_needs:
        needs_by_group[(n.category, n.unit)].append(n)
    for key in sorted(needs_by_group):
        group_offers = offers_by_group.get(key, [])
        yield key, needs_by_group[key], group_offers, sorted(units_by_category.get(key[0], ()))


# --- one group --------------------------------------------------------------------------


# Rounds of "limits from the allocation, allocation within the limits": the group-wide share
# the limits follow moves a little when the bound moves supply; it settles in one or two.
_FAIR_ROUNDS = 4


def match_group(
    needs: list[NeedInput],
    offers: list[OfferInput],
    proposals: list[Proposal],
    unmet: list[Unmet],
    today: date | None = None,
    stats: dict | None = None,
    max_area_gap_pct: float | None = None,
) -> GroupFairness | None:
    started = time.perf_counter()
    key = (needs[0].category, needs[0].unit)
    n, o = need_arrays(needs, today), offer_arrays(offers)
    arcs = eligible_arcs(n, o, today)
    generated = time.perf_counter()
    if stats is not None:
        stats["arcs"] += len(arcs.need)
        stats["candidates_s"] += generated - started
    if not len(arcs.need):
        explain(needs, offers, n, o, arcs, np.zeros(0, np.int64), unmet, today)
        return unserved_fairness(key, n, max_area_gap_pct)
    flows = solve_network(build_network(n, o, arcs))
    free = served_per_need(n, arcs, flows)
    bounds = None
    if max_area_gap_pct is not None and len(n.areas):
        flows, bounds = bounded_flows(n, o, arcs, flows, max_area_gap_pct)
    if stats is not None:
        stats["solve_s"] += time.perf_counter() - generated

    served = served_per_need(n, arcs, flows)
    fairness = group_fairness(key, n, free, served if bounds is not None else None, bounds)
    # Areas the bound gave more than they would have had without it.
    raised = set()
    if fairness is not None and bounds is not None:
        raised = {a.area_id for a in fairness.areas if (a.served_bounded or 0) > a.served}
    used = np.flatnonzero(flows > 0)
    for k in used.tolist():
        i, j = int(arcs.need[k]), int(arcs.offer[k])
        need, offer = needs[i], offers[j]
        distance = math_km(n, i, o, j)
        reasons = (
            f"priority: {PRIORITIES[PRIORITY_RANK[need.priority]]}",
            deadline_reason(need, today),
            f"distance {distance:.1f} km within radius {fmt_km(offer.radius_km)} km",
            f"window overlap {date.fromordinal(int(arcs.start[k])).isoformat()}.."
            f"{date.fromordinal(int(arcs.end[k])).isoformat()}",
        )
        if need.area_id in raised:
            reasons += ("fairness bound: this area's share is held up to the limit",)
        proposals.append(
            Proposal(
                need_id=need.id,
                offer_id=offer.id,
                quantity=int(flows[k]),
                distance_km=round(distance, 3),
                reasons=reasons,
            )
        )

    explain(needs, offers, n, o, arcs, flows, unmet, today)
    return fairness


def unserved_fairness(
    key: tuple[str, str], n: NeedArrays, gap_pct: float | None
) -> GroupFairness | None:
    """The shares of a group nothing can serve, with the limits a bound would set."""
    nothing = np.zeros(len(n.qty), np.int64)
    if gap_pct is None or not len(n.areas):
        return group_fairness(key, n, nothing, None, None)
    bounds = lower_bounds(gap_pct, n.area, len(n.areas), n.qty, n.covered, nothing)
    return group_fairness(key, n, nothing, nothing, bounds)


def group_fairness(
    key: tuple[str, str],
    n: NeedArrays,
    free: np.ndarray | None,
    bounded: np.ndarray | None,
    bounds: np.ndarray | None,
) -> GroupFairness | None:
    """Each area's share of a group, without (`free`) and with the bound (`bounded`)."""
    count = len(n.areas)
    if count == 0:
        return None
    free = np.zeros(len(n.qty), np.int64) if free is None else free
    need = area_totals(n.area, count, n.qty + n.covered)
    covered = area_totals(n.area, count, n.covered)
    served = area_totals(n.area, count, free)
    held = area_totals(n.area, count, bounded) if bounded is not None else None
    areas = tuple(
        AreaShare(
            area_id=int(n.areas[a]),
            need=int(need[a]),
            covered=int(covered[a]),
            served=int(served[a]),
            served_bounded=None if held is None else int(held[a]),
            bound=None if bounds is None else int(bounds[a]),
        )
        for a in range(count)
    )
    return GroupFairness(
        category=key[0],
        unit=key[1],
        need=int(n.qty.sum() + n.covered.sum()),
        covered=int(n.covered.sum()),
        served=int(free.sum()),
        served_bounded=None if bounded is None else int(bounded.sum()),
        areas=areas,
    )
