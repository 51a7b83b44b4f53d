"""Exact lexicographic min-cost flow: objective by objective, each solved on the optimal face of
the ones before it.

After a stage's optimal flow, node potentials (shortest distances in its residual graph) give
every arc's reduced cost; by complementary slackness every optimal flow of that stage leaves an
arc with a positive reduced cost empty and fills one with a negative reduced cost, so fixing
those arcs and keeping the rest leaves exactly the stage's optimal flows for the next stage.
Consecutive objectives share one stage when integer weights provably keep their order: a simple
cycle uses at most two arcs at any node, and two arcs leaving one node are crossed in opposite
directions, so at each node it lowers at most one arc's level by a unit (and raises at most
one); a level weighing more than all a cycle can lower below it then decides the cycle's sign
whenever it changes at all (see _weights).
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
    last: np.ndarray,
) -> np.ndarray:
    """The flow on every arc that minimises, in order, the number of units on arcs of level
    0, then level 1, ..., then the cost `last` (levels -1: none)."""
    count, nodes = len(tails), len(supplies)
    fixed = np.zeros(count, np.int64)
    active = np.ones(count, bool)
    supply = supplies.astype(np.int64).copy()
    # The heaviest weight a stage may use: scaled by the nodes, summed along a path of the
    # potentials' flow (nodes units over up to nodes arcs), and over all units shipped.
    heaviest = _INT_LIMIT // max((nodes + 2) ** 2, int(capacities.sum()), 1)
    after = -1  # levels up to this one are solved
    while True:
        # Levels left with no free arc are settled by what is fixed already.
        free = active & (levels > after)
        pending = np.unique(levels[free])
        if not len(pending):
            break
        # Each pending level's nodes: the tails of its free arcs.
        order = np.lexsort((tails[free], levels[free]))
        by_level, by_tail = levels[free][order], tails[free][order]
        starts = np.searchsorted(by_level, pending)
        ends = np.searchsorted(by_level, pending, side="right")
        tails_of = [np.unique(by_tail[a:b]) for a, b in zip(starts, ends, strict=True)]
        # As many of the next levels as the weights allow, most important first.
        lo, hi = 1, len(pending)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if _weights(tails_of[:mid], nodes)[0] <= heaviest:
                lo = mid
            else:
                hi = mid - 1
        weights = _weights(tails_of[:lo], nodes)
        after = int(pending[lo - 1])
        cost = np.zeros(count, np.int64)
        for level, weight in zip(pending[:lo].tolist(), weights, strict=True):
            cost[levels == level] = weight
        flow = _solve(tails, heads, capacities, cost, supply, active)
        _restrict(tails, heads, capacities, cost, supply, active, fixed, flow, nodes)
    flow = _solve(tails, heads, capacities, last.astype(np.int64), supply, active)
    return np.where(active, flow, fixed)


def _weights(tails_of: list[np.ndarray], nodes: int) -> list[int]:
    """Weights for consecutive levels (most important first; each given by the tails of its
    free arcs) under which every simple cycle's weighted cost has the sign of the first level
    it changes.

    The first level a cycle changes, it changes by at least one unit. At a node the cycle
    lowers (crosses backwards) at most one of the arcs leaving it, and the arcs entering it
    are counted at their own tails, so what it saves below a level is at most, summed over
    the nodes, the heaviest weight below it of an arc leaving that node; the level weighs one
    more than that (and symmetrically for what it adds). Python integers: the caller checks
    the size."""
    weights = [0] * len(tails_of)
    heaviest = np.zeros(nodes, object)  # per node, the heaviest weight below so far
    below = 0  # their sum over the nodes
    for position in range(len(tails_of) - 1, -1, -1):
        weight = below + 1
        weights[position] = weight
        at = tails_of[position]
        # Weights grow upwards, so this level's is now the heaviest below at its nodes.
        below += int((weight - heaviest[at]).sum())
        heaviest[at] = weight
    return weights


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


# Relaxation rounds before the potentials come from a min-cost flow instead: each round costs
# one pass over the residual arcs, and the shortest paths here are rarely more than ~50 long.
_RELAX_ROUNDS = 200


def _potentials(tails, heads, capacities, cost, flow, nodes) -> np.ndarray:
    """Shortest distances in the residual graph of an optimal flow from a root joined to every
    node at no cost: no residual arc then has a negative reduced cost.

    Bellman-Ford rounds over all residual arcs at once find them when the paths are short (an
    optimal flow has no negative cycle, so they settle within `nodes` rounds); past a few
    hundred rounds a min-cost flow finds them in its bounded time."""
    forward, backward = flow < capacities, flow > 0
    res_t = np.concatenate([tails[forward], heads[backward]])
    res_h = np.concatenate([heads[forward], tails[backward]])
    res_c = np.concatenate([cost[forward], -cost[backward]])
    distance = np.zeros(nodes, np.int64)
    for _round in range(min(_RELAX_ROUNDS, nodes + 1)):
        shorter = distance.copy()
        np.minimum.at(shorter, res_h, distance[res_t] + res_c)
        if np.array_equal(shorter, distance):
            return distance
        distance = shorter
    return _flow_potentials(res_t, res_h, res_c, nodes)


def _flow_potentials(res_t, res_h, res_c, nodes) -> np.ndarray:
    """The same distances as a min-cost flow that sends one unit from the root to every node
    over uncapacitated residual arcs (no negative cycle, the flow being optimal): every arc it
    uses is tight, so walking its used arcs from the root gives the distances."""
    from ortools.graph.python import min_cost_flow

    root = nodes
    res_t = np.concatenate([res_t, np.full(nodes, root)])
    res_h = np.concatenate([res_h, np.arange(nodes)])
    res_c = np.concatenate([res_c, np.zeros(nodes, np.int64)])
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
