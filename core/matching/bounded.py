"""The fairness bound's solve: the allocation within each area's lower limit (core.fairness)."""

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
    bounds = lower_bounds(gap_pct, n.area, count, n.qty, n.covered, served_per_need(n, arcs, flows))
    if (area_totals(n.area, count, served_per_need(n, arcs, flows)) >= bounds).all():
        # The free optimum keeps the bound already, so it is the optimum within it too.
        return flows, bounds
    for _round in range(_FAIR_ROUNDS):
        flows = solve_network(build_network(n, o, arcs, bounds))
        wanted = lower_bounds(
            gap_pct, n.area, count, n.qty, n.covered, served_per_need(n, arcs, flows)
        )
        if np.array_equal(wanted, bounds):
            break
        bounds = wanted
    else:
        flows = solve_network(build_network(n, o, arcs, bounds))
    return flows, bounds
