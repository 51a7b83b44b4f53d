"""The fairness bound's solve: the worst-served area first, then the total short of the limits.

Within one category and unit, each area has a limit (core.fairness.lower_bounds): the least the
run must serve there for its covered share to be at most the bound below the group-wide share.
When supply cannot bring every area up to its limit, the allocation first makes the worst
area's share as high as it can be (the share level every area is held to at once, each area
at most to what its reachable needs can take), then keeps the total short of the limits the
least possible, then serves priority and lateness, then distance.
"""

from __future__ import annotations

import numpy as np

from core.fairness import area_totals, lower_bounds
from core.matching.arrays import NeedArrays, OfferArrays
from core.matching.candidates import Arcs, served_per_need
from core.matching.network import build_network, solve_network

# Rounds of "limits from the allocation, allocation within the limits": the group-wide share
# the limits follow moves a little when the bound moves supply; it settles in one or two.
_FAIR_ROUNDS = 4


def bounded_flows(
    n: NeedArrays, o: OfferArrays, arcs: Arcs, flows: np.ndarray, gap_pct: float
) -> tuple[np.ndarray, np.ndarray]:
    """The allocation within the fairness bound, and the limits (least to serve per area) it
    was solved for."""
    count = len(n.areas)

    def limits(allocation: np.ndarray) -> np.ndarray:
        served = served_per_need(n, arcs, allocation)
        return lower_bounds(gap_pct, n.area, count, n.qty, n.covered, served)

    bounds = limits(flows)
    if (area_totals(n.area, count, served_per_need(n, arcs, flows)) >= bounds).all():
        # The free optimum keeps the bound already, so it is the optimum within it too.
        return flows, bounds
    for _round in range(_FAIR_ROUNDS):
        flows = _within(n, o, arcs, bounds, flows)
        wanted = limits(flows)
        if np.array_equal(wanted, bounds):
            break
        bounds = wanted
    else:
        flows = _within(n, o, arcs, bounds, flows)
    return flows, bounds


def _within(
    n: NeedArrays, o: OfferArrays, arcs: Arcs, bounds: np.ndarray, flows: np.ndarray
) -> np.ndarray:
    """The optimal allocation for fixed limits: worst area first, then the total shortfall
    (`flows`: any allocation, the start of the search for the worst area's level)."""
    count = len(n.areas)
    reachable = np.zeros(len(n.qty), np.int64)
    reachable[np.unique(arcs.need)] = 1
    # An area is held only to what its needs within reach of some offer can take.
    lower = np.minimum(bounds, area_totals(n.area, count, n.qty * reachable))
    can_serve = _Reach(n, o, arcs)
    if can_serve(lower):
        # Every area can reach its limit (one maximum flow says so): nothing falls short.
        return solve_network(build_network(n, o, arcs, bounds))
    served = area_totals(n.area, count, served_per_need(n, arcs, flows))
    short = served < lower
    need = area_totals(n.area, count, n.qty + n.covered)
    before = area_totals(n.area, count, n.covered)
    # Any allocation holds every area to the share p/q of its worst short one, so the best
    # level is p/q or one of the higher shares (before + k) / need an area reaches with k more
    # units. Feasibility falls as the level rises, so the highest feasible one is found by
    # bisection (k = 0 is the level up to which an area needs nothing more).
    p, q = min(((int(before[a] + served[a]), int(need[a])) for a in np.flatnonzero(short)),
               key=lambda pq: pq[0] / pq[1])  # fmt: skip
    levels = []
    for a in np.flatnonzero(lower > 0).tolist():
        m = before[a] + np.arange(0, lower[a] + 1, dtype=np.int64)
        m = m[m * q > p * need[a]]
        levels.append(np.stack([m, np.full(len(m), need[a])], axis=1))
    candidates = np.concatenate(levels) if levels else np.zeros((0, 2), np.int64)
    candidates = candidates[np.argsort(candidates[:, 0] / candidates[:, 1], kind="stable")]
    best = (p, q)
    lo, hi = 0, len(candidates) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        level = (int(candidates[mid, 0]), int(candidates[mid, 1]))
        if can_serve(_required(level, need, before, lower)):
            best, lo = level, mid + 1
        else:
            hi = mid - 1
    required = _required(best, need, before, lower)
    return solve_network(build_network(n, o, arcs, bounds, required))


def _required(level: tuple[int, int], need, before, lower) -> np.ndarray:
    """Per area, the least to serve there for its covered share to reach `level` (m / d),
    at most its limit."""
    m, d = level
    wanted = [-(-m * int(need[a]) // d) - int(before[a]) for a in range(len(need))]
    return np.clip(np.array(wanted, np.int64), 0, lower)


class _Reach:
    """Whether some allocation serves every area at least a given amount: one maximum-flow
    network per group (offers, their needs with an area, the areas), whose area arcs take
    each check's amounts as capacities, so a check is a solve without a rebuild."""

    def __init__(self, n: NeedArrays, o: OfferArrays, arcs: Arcs) -> None:
        from ortools.graph.python import max_flow

        useful = n.area[arcs.need] >= 0
        need_ids, need_node = np.unique(arcs.need[useful], return_inverse=True)
        offer_ids, offer_node = np.unique(arcs.offer[useful], return_inverse=True)
        n_off, n_need, n_area = len(offer_ids), len(need_ids), len(n.areas)
        self.source, self.sink = n_off + n_need + n_area, n_off + n_need + n_area + 1
        tails = np.concatenate([
            np.full(n_off, self.source), offer_node, n_off + np.arange(n_need),
            n_off + n_need + np.arange(n_area),
        ])  # fmt: skip
        heads = np.concatenate([
            np.arange(n_off), n_off + need_node, n_off + n_need + n.area[need_ids],
            np.full(n_area, self.sink),
        ])  # fmt: skip
        capacities = np.concatenate([
            o.qty[offer_ids], np.minimum(o.qty[arcs.offer[useful]], n.qty[arcs.need[useful]]),
            n.qty[need_ids], np.zeros(n_area, np.int64),
        ])  # fmt: skip
        self.solver = max_flow.SimpleMaxFlow()
        ids = self.solver.add_arcs_with_capacity(
            tails.astype(np.int64), heads.astype(np.int64), capacities.astype(np.int64)
        )
        self.area_arcs = np.asarray(ids)[len(ids) - n_area :]

    def __call__(self, required: np.ndarray) -> bool:
        if not required.any():
            return True
        self.solver.set_arcs_capacity(self.area_arcs, required.astype(np.int64))
        if self.solver.solve(self.source, self.sink) != self.solver.OPTIMAL:
            raise RuntimeError("maximum flow solver failed")
        return self.solver.optimal_flow() == int(required.sum())
