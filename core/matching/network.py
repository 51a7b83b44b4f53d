"""One group's min-cost flow network (the lexicographic cost encoding) and its solve."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.matching.arrays import NeedArrays, OfferArrays
from core.matching.candidates import Arcs
from core.matching.lexicographic import lexicographic_flow

# Headroom below int64 so OR-tools' internal cost scaling by (nodes + 1) cannot overflow.
INT_LIMIT = 2**62


@dataclass(slots=True)
class FlowNetwork:
    """One group's min-cost flow instance; its first `arcs` arcs are the need-offer pairs."""

    tails: np.ndarray
    heads: np.ndarray
    capacities: np.ndarray
    costs: np.ndarray
    supplies: np.ndarray
    arcs: int
    need_ids: np.ndarray  # the need of each need node, in node order (after the offers)
    offer_ids: np.ndarray  # the offer of each offer node
    # With areas: each arc's place in the lexicographic order (-1: none); the costs then rank
    # distance alone.
    levels: np.ndarray | None = None


def build_network(
    n: NeedArrays,
    o: OfferArrays,
    arcs: Arcs,
    bounds: np.ndarray | None = None,
    required: np.ndarray | None = None,
) -> FlowNetwork:
    """The group's network; with `bounds` (each area's limit: the least to serve there),
    through area nodes, and with `required`, no area served less than that at all."""
    need_ids = np.unique(arcs.need)
    offer_ids = np.unique(arcs.offer)
    n_off, n_need = len(offer_ids), len(need_ids)
    spill = n_off + n_need  # absorbs unused supply and feeds unmet demand
    class_keys, class_of = np.unique(n.key[need_ids], return_inverse=True)
    classes = len(class_keys)
    need_qty, offer_qty = n.qty[need_ids], o.qty[offer_ids]
    total_demand, total_supply = int(need_qty.sum()), int(offer_qty.sum())
    metres = np.rint(arcs.km * 1000).astype(np.int64)
    max_metres = int(metres.max())
    fair = bounds is not None
    node_area = n.area[need_ids] if fair else np.zeros(0, np.int64)
    areas_here = np.unique(node_area[node_area >= 0])
    num_nodes = spill + 1 + len(areas_here)
    # Cost encoding without areas: leaving a unit of need class k (classes sorted by priority,
    # then needed_by) unmet costs w_k = (K - k) * G; shipping costs its distance. Any change
    # to an optimal flow decomposes into simple residual cycles; each one passes the spill
    # node at most once, so it moves at most one unit of service between two needs (or
    # to/from spare supply), and crosses at most 2*min(#offers, #needs) offer-need arcs, so
    # its distance effect is below G. With consecutive w_k at least G apart, no distance
    # saving can buy a unit of a higher class, which makes the weighted optimum exactly the
    # lexicographic one, using only linearly growing integers. Through area nodes a cycle
    # can trade several units between classes, so with areas the order is kept by solving
    # it level by level instead (core.matching.lexicographic): the shortfall below the
    # limits, then each class, then distance. Distances are coarsened only if int64 would
    # otherwise overflow.
    metres_per_unit = 1
    while True:
        unit_cost = -(-max_metres // metres_per_unit)
        gap = 2 * min(n_need, n_off) * unit_cost + 1
        top = classes * gap
        worst_total = (top + classes * gap) * total_demand + unit_cost * total_supply
        if top * (num_nodes + 1) < INT_LIMIT and worst_total < INT_LIMIT:
            break
        if unit_cost == 0:
            raise ValueError("quantities too large for an exact integer min-cost flow")
        metres_per_unit *= 10

    offer_node = np.searchsorted(offer_ids, arcs.offer)
    need_node = n_off + np.searchsorted(need_ids, arcs.need)
    # Unmet demand reaches a need from the spill node, or through its area's node.
    feeder = np.full(n_need, spill)
    tails = [offer_node, np.arange(n_off), feeder]
    heads = [need_node, np.full(n_off, spill), n_off + np.arange(n_need)]
    capacities = [np.minimum(o.qty[arcs.offer], n.qty[arcs.need]), offer_qty, need_qty]
    costs = [metres // metres_per_unit, np.zeros(n_off, np.int64), (classes - class_of) * gap]
    levels = None
    if fair and len(areas_here):
        bounded = node_area >= 0
        area_node = np.searchsorted(areas_here, node_area[bounded])
        feeder[bounded] = spill + 1 + area_node
        # Per area: unmet up to (its demand here - its limit) is free, beyond it costs more,
        # and beyond (its demand here - what is required) it cannot go.
        demand_here = np.bincount(area_node, weights=need_qty[bounded], minlength=len(areas_here))
        demand_here = demand_here.astype(np.int64)
        lower = np.minimum(bounds[areas_here], demand_here)
        hard = np.zeros(len(areas_here), np.int64)
        if required is not None:
            hard = np.minimum(required[areas_here], lower)
        nodes = spill + 1 + np.arange(len(areas_here))
        tails += [np.full(len(nodes), spill), np.full(len(nodes), spill)]
        heads += [nodes, nodes]
        capacities += [demand_here - lower, lower - hard]
        costs += [np.zeros(len(nodes), np.int64), np.full(len(nodes), top)]
        # Level 0: a unit short of an area's limit; level 1 + k: a unit of class k unmet.
        levels = np.concatenate([
            np.full(len(arcs.need) + n_off, -1), 1 + class_of,
            np.full(len(nodes), -1), np.zeros(len(nodes), np.int64),
        ])  # fmt: skip
    supplies = np.concatenate(
        [offer_qty, -need_qty, [total_demand - total_supply], np.zeros(len(areas_here), np.int64)]
    )
    return FlowNetwork(
        np.concatenate(tails).astype(np.int64),
        np.concatenate(heads).astype(np.int64),
        np.concatenate(capacities).astype(np.int64),
        np.concatenate(costs).astype(np.int64),
        supplies.astype(np.int64),
        len(arcs.need),
        n.ids[need_ids],
        o.ids[offer_ids],
        levels,
    )


def solve_network(network: FlowNetwork) -> np.ndarray:
    """Optimal flow on each need-offer arc of a network."""
    if network.levels is not None:
        distance = np.where(network.levels < 0, network.costs, 0)
        flows = lexicographic_flow(
            network.tails,
            network.heads,
            network.capacities,
            network.supplies,
            network.levels,
            distance,
        )
        return flows[: network.arcs]
    return _solve(network, network.costs)


def _solve(network: FlowNetwork, costs: np.ndarray) -> np.ndarray:
    # Imported here: OR-Tools costs a web worker tens of MB it never needs for a page.
    from ortools.graph.python import min_cost_flow

    solver = min_cost_flow.SimpleMinCostFlow()
    arc_ids = solver.add_arcs_with_capacity_and_unit_cost(
        network.tails, network.heads, network.capacities, costs
    )
    solver.set_nodes_supplies(np.arange(len(network.supplies)), network.supplies)
    status = solver.solve()
    if status != solver.OPTIMAL:
        raise RuntimeError(f"min-cost flow solver failed with status {status}")
    return np.asarray(solver.flows(arc_ids[: network.arcs]), dtype=np.int64)
