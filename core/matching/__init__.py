"""Matching engine: allocates offers to open needs as an exact min-cost flow problem.

The entry point is `match(needs, offers) -> MatchResult`; candidates (the spatial index),
network (the cost encoding and solve), groups (one category and unit), bounded (the fairness
bound) and reasons (why) hold the parts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from core.fairness import AreaShare, GroupFairness
from core.geo import haversine_km, window_overlap
from core.matching.arrays import need_arrays, offer_arrays
from core.matching.candidates import eligible_arcs
from core.matching.groups import by_group, match_group, unserved_fairness
from core.matching.inputs import (
    PRIORITIES,
    MatchResult,
    NeedInput,
    OfferInput,
    Proposal,
    Unmet,
    validate,
)
from core.matching.network import FlowNetwork, build_network, solve_network
from core.matching.reasons import (
    REASON_COMMITTED,
    REASON_FAIRNESS,
    REASON_NO_CATEGORY,
    REASON_NO_WINDOW,
    REASON_NOT_ENOUGH,
    REASON_OUT_OF_RANGE,
    REASON_SHARED,
)

__all__ = [
    "PRIORITIES",
    "REASON_COMMITTED",
    "REASON_FAIRNESS",
    "REASON_NO_CATEGORY",
    "REASON_NO_WINDOW",
    "REASON_NOT_ENOUGH",
    "REASON_OUT_OF_RANGE",
    "REASON_SHARED",
    "AreaShare",
    "FlowNetwork",
    "GroupFairness",
    "MatchResult",
    "NeedInput",
    "OfferInput",
    "Proposal",
    "Unmet",
    "flow_networks",
    "haversine_km",
    "match",
    "solve_network",
    "window_overlap",
]


def match(
    needs: Sequence[NeedInput],
    offers: Sequence[OfferInput],
    *,
    today: date | None = None,
    stats: dict | None = None,
    progress: Callable[[float], None] | None = None,
    max_area_gap_pct: float | None = None,
) -> MatchResult:
    """Propose an optimal allocation of offers to needs, with reasons for every leftover.

    With `today`, a need already past its needed-by date is still needed: only the offer's
    own window limits when it can serve it, and it keeps its rank (priority, then the
    earliest needed-by date, which is the latest need) ahead of needs that are not late.
    `stats`, when given, receives the number of arcs and the seconds spent per phase;
    `progress` is called with the fraction done (0..1) after each category and unit.

    With `max_area_gap_pct`, within each category and unit no area's covered share falls more
    than that many points below the group-wide share while supply that could serve it goes
    elsewhere. Where supply cannot lift every area that far, the worst-served area's share is
    raised as far as it can go, then the total shortfall is the least; that comes first, then
    priority and lateness, then distance (see core.fairness, core.matching.bounded), each
    exactly: within a bound the order is solved level by level (core.matching.lexicographic)."""
    validate(needs, offers)
    if max_area_gap_pct is not None and not 0 <= max_area_gap_pct <= 100:
        raise ValueError("max_area_gap_pct must lie between 0 and 100")
    if stats is not None:
        stats.update(arcs=0, candidates_s=0.0, solve_s=0.0)
    proposals: list[Proposal] = []
    unmet: list[Unmet] = []
    fairness: list[GroupFairness] = []
    groups = list(by_group(needs, offers))
    # Work grows with a group's needs times offers, so progress is counted in those.
    work = [max(len(g[1]) * len(g[2]), 1) for g in groups]
    total, done = sum(work), 0
    for (key, group_needs, group_offers, other_units), size in zip(groups, work, strict=True):
        if group_offers:
            fair = match_group(
                group_needs, group_offers, proposals, unmet, today, stats, max_area_gap_pct
            )
        else:
            reason = REASON_NO_CATEGORY
            if other_units:
                reason += f" (category {key[0]!r} is offered in: {', '.join(other_units)})"
            unmet.extend(Unmet(n.id, n.quantity, reason) for n in group_needs)
            fair = unserved_fairness(key, need_arrays(group_needs, today), max_area_gap_pct)
        if fair is not None:
            fairness.append(fair)
        done += size
        if progress is not None:
            progress(done / total)
    proposals.sort(key=lambda p: (p.need_id, p.offer_id))
    unmet.sort(key=lambda u: u.need_id)
    return MatchResult(proposals=proposals, unmet=unmet, fairness=tuple(fairness))


def flow_networks(
    needs: Sequence[NeedInput], offers: Sequence[OfferInput], *, today: date | None = None
) -> list[FlowNetwork]:
    """The networks match() solves, one per category and unit (for benchmarks and checks)."""
    validate(needs, offers)
    networks = []
    for _key, group_needs, group_offers, _units in by_group(needs, offers):
        if group_offers:
            n, o = need_arrays(group_needs, today), offer_arrays(group_offers)
            arcs = eligible_arcs(n, o, today)
            if len(arcs.need):
                networks.append(build_network(n, o, arcs))
    return networks
