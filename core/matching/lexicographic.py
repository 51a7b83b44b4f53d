"""Exact lexicographic min-cost flow: objective by objective, each solved on the optimal face of
the ones before it.

After a stage's optimal flow, node potentials (shortest distances in its residual graph) give
every arc's reduced cost; by complementary slackness every optimal flow of that stage leaves an
arc with a positive reduced cost empty and fills one with a negative reduced cost, so fixing
those arcs and keeping the rest leaves exactly the stage's optimal flows for the next stage.
Consecutive objectives share one stage when integer weights provably keep their order: if no
simple cycle holds more than B arcs of any objective, weights B^(c-1), ..., B, 1 can never let
lower objectives outweigh a unit of a higher one.
"""

from __future__ import annotations

import numpy as np

# Headroom below int64 for OR-Tools' internal cost scaling (by nodes + 1) and for the
# potentials' path lengths (up to nodes arcs long).
_INT_LIMIT = 2**62


def lexicographic_flow(
    tails: np.ndarray,
    heads: np.ndarray,
    capacities: np.ndarray,
    supplies: np.ndarray,
    levels: np.ndarray,
    cycle_arcs: int,
    last: np.ndarray,
) -> np.ndarray:
    """The flow on every arc that minimises, in order, the number of units on arcs of level
    0, then level 1, ..., then the cost `last` (levels -1: none). `cycle_arcs` bounds how many
    arcs with a level one simple cycle of the network can pass."""
    count, nodes = len(tails), len(supplies)
    fixed = np.zeros(count, np.int64)
    active = np.ones(count, bool)
    supply = supplies.astype(np.int64).copy()
    base = max(int(cycle_arcs), 2)
    # The heaviest weight a stage may use: scaled by the nodes, summed along a path of the
    # potentials' flow (nodes units over up to nodes arcs), and over all units shipped.
    heaviest = _INT_LIMIT // max((nodes + 2) ** 2, int(capacities.sum()), 1)
    after = -1  # levels up to this one are solved
    while True:
        # Levels left with no free arc are settled by what is fixed already.
        pending = np.unique(levels[active & (levels > after)])
        if not len(pending):
            break
        # As many of the next levels as the weights allow, most important first.
        size, weight = 1, 1
        while size < len(pending) and weight * base <= heaviest:
            weight *= base
            size += 1
        chunk = pending[:size].tolist()
        after = chunk[-1]
        cost = np.zeros(count, np.int64)
        for position, level in enumerate(chunk):
            cost[levels == level] = base ** (size - 1 - position)
        flow = _solve(tails, heads, capacities, cost, supply, active)
        _restrict(tails, heads, capacities, cost, supply, active, fixed, flow, nodes)
    flow = _solve(tails, heads, capacities, last.astype(np.int64), supply, active)
    return np.where(active, flow, fixed)


def _solve(tails, heads, capacities, cost, supply, active) -> np.ndarray:
    """Optimal flow on the active arcs (zero elsewhere)."""
    from ortools.graph.python import min_cost_flow

    solver = min_cost_flow.SimpleMinCostFlow()
    keep = np.flatnonzero(active)
    ids = solver.add_arcs_with_capacity_and_unit_cost(
        tails[keep], heads[keep], capacities[keep], cost[keep]
    )
    solver.set_nodes_supplies(np.arange(len(supply)), supply)
    status = solver.solve()
    if status != solver.OPTIMAL:
        raise RuntimeError(f"min-cost flow solver failed with status {status}")
    flow = np.zeros(len(tails), np.int64)
    flow[keep] = solver.flows(ids)
    return flow


def _restrict(tails, heads, capacities, cost, supply, active, fixed, flow, nodes) -> None:
    """Fix every active arc whose reduced cost is not zero at what all optimal flows give it."""
    keep = np.flatnonzero(active)
    potential = _potentials(
        tails[keep], heads[keep], capacities[keep], cost[keep], flow[keep], nodes
    )
    reduced = cost[keep] + potential[tails[keep]] - potential[heads[keep]]
    empty, full = keep[reduced > 0], keep[reduced < 0]
    active[empty] = False
    active[full] = False
    fixed[full] = capacities[full]
    np.subtract.at(supply, tails[full], capacities[full])
    np.add.at(supply, heads[full], capacities[full])


def _potentials(tails, heads, capacities, cost, flow, nodes) -> np.ndarray:
    """Shortest distances in the residual graph of an optimal flow from a root joined to every
    node at no cost: no residual arc then has a negative reduced cost.

    They are found as a min-cost flow that sends one unit from the root to every node over
    uncapacitated residual arcs (no negative cycle, the flow being optimal): every arc it uses
    is tight, so walking its used arcs from the root gives the distances."""
    from ortools.graph.python import min_cost_flow

    forward, backward = flow < capacities, flow > 0
    root = nodes
    res_t = np.concatenate([tails[forward], heads[backward], np.full(nodes, root)])
    res_h = np.concatenate([heads[forward], tails[backward], np.arange(nodes)])
    res_c = np.concatenate([cost[forward], -cost[backward], np.zeros(nodes, np.int64)])
    solver = min_cost_flow.SimpleMinCostFlow()
    ids = solver.add_arcs_with_capacity_and_unit_cost(
        res_t.astype(np.int64), res_h.astype(np.int64), np.full(len(res_t), nodes), res_c
    )
    supplies = np.full(nodes + 1, -1, np.int64)
    supplies[root] = nodes
    solver.set_nodes_supplies(np.arange(nodes + 1), supplies)
    status = solver.solve()
    if status != solver.OPTIMAL:
        raise RuntimeError(f"shortest-path flow failed with status {status}")
    used = np.asarray(solver.flows(ids)) > 0
    ut, uh, uc = res_t[used], res_h[used], res_c[used]
    order = np.argsort(ut, kind="stable")
    ut, uh, uc = ut[order], uh[order], uc[order]
    starts = np.searchsorted(ut, np.arange(nodes + 2))
    distance = np.zeros(nodes + 1, np.int64)
    seen = np.zeros(nodes + 1, bool)
    seen[root] = True
    frontier = np.array([root])
    while len(frontier):
        lo, hi = starts[frontier], starts[frontier + 1]
        counts = hi - lo
        arcs = np.repeat(lo - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
        arcs = arcs[~seen[uh[arcs]]]
        # Several used arcs may reach one node; being tight, they all give the same distance.
        distance[uh[arcs]] = distance[ut[arcs]] + uc[arcs]
        frontier = np.unique(uh[arcs])
        seen[frontier] = True
    if not seen.all():
        raise RuntimeError("shortest-path flow left a node unreached")
    return distance[:nodes]
