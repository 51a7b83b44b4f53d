"""Matching engine: allocates offers to open needs as an exact min-cost flow problem."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

__all__ = [
    "PRIORITIES",
    "REASON_COMMITTED",
    "REASON_NO_CATEGORY",
    "REASON_NO_WINDOW",
    "REASON_NOT_ENOUGH",
    "REASON_OUT_OF_RANGE",
    "REASON_SHARED",
    "MatchResult",
    "NeedInput",
    "OfferInput",
    "Proposal",
    "Unmet",
    "haversine_km",
    "match",
]

EARTH_RADIUS_KM = 6371.0088
PRIORITIES = ("critical", "high", "medium", "low")
_PRIORITY_RANK = {name: rank for rank, name in enumerate(PRIORITIES)}

# Stable leading phrases of Unmet.reason; callers may test with `startswith` / `in`.
REASON_NO_CATEGORY = "no offer in this category and unit"
REASON_OUT_OF_RANGE = "no offer within range"
REASON_NO_WINDOW = "no offer available in the time window"
REASON_COMMITTED = "offers in range are committed to higher-priority or earlier needs"
REASON_SHARED = (
    "offers in range are shared with other needs of the same priority and needed-by date"
)
REASON_NOT_ENOUGH = "offers in range do not have enough capacity"

# Headroom below int64 so OR-tools' internal cost scaling by (nodes + 1) cannot overflow.
_INT_LIMIT = 2**62


@dataclass(frozen=True)
class NeedInput:
    id: int
    category: str
    unit: str
    quantity: int
    priority: str
    needed_by: date
    lat: float
    lon: float
    opens_on: date | None = None


@dataclass(frozen=True)
class OfferInput:
    id: int
    category: str
    unit: str
    quantity: int
    lat: float
    lon: float
    radius_km: float
    available_from: date
    available_until: date


@dataclass(frozen=True)
class Proposal:
    need_id: int
    offer_id: int
    quantity: int
    distance_km: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Unmet:
    need_id: int
    quantity: int
    reason: str


@dataclass(frozen=True)
class MatchResult:
    proposals: list[Proposal]
    unmet: list[Unmet]


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres between two WGS84 points."""
    phi1 = math.radians(lat1)
    phi2 = math.radians(lat2)
    return _haversine_rad(
        phi1, math.cos(phi1), math.radians(lon1), phi2, math.cos(phi2), math.radians(lon2)
    )


def _haversine_rad(
    phi1: float, cos1: float, lam1: float, phi2: float, cos2: float, lam2: float
) -> float:
    # Cosines are passed in because the matcher reuses them across thousands of pairs.
    a = math.sin((phi2 - phi1) / 2) ** 2 + cos1 * cos2 * math.sin((lam2 - lam1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def _fmt_km(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _overdue_days(need: NeedInput, today: date | None) -> int:
    """How many days past its needed-by date a need is (0 when not late, or no `today`)."""
    return max(0, (today - need.needed_by).days) if today is not None else 0


def _need_window(need: NeedInput, today: date | None = None) -> str:
    if _overdue_days(need, today):
        return f"since {need.needed_by.isoformat()}, overdue"
    if need.opens_on is None:
        return f"by {need.needed_by.isoformat()}"
    return f"{need.opens_on.isoformat()}..{need.needed_by.isoformat()}"


def _deadline_reason(need: NeedInput, today: date | None) -> str:
    late = _overdue_days(need, today)
    if late:
        word = "day" if late == 1 else "days"
        return f"overdue by {late} {word} (needed by {need.needed_by.isoformat()})"
    return f"needed by {need.needed_by.isoformat()}"


@dataclass(slots=True)
class _Edge:
    need: int  # index into the group's need list
    offer: int  # index into the group's offer list
    distance_km: float
    window_start: date
    window_end: date


def _validate(needs: Sequence[NeedInput], offers: Sequence[OfferInput]) -> None:
    if len({n.id for n in needs}) != len(needs):
        raise ValueError("duplicate need ids")
    if len({o.id for o in offers}) != len(offers):
        raise ValueError("duplicate offer ids")
    for n in needs:
        if n.priority not in _PRIORITY_RANK:
            raise ValueError(f"need {n.id}: unknown priority {n.priority!r}")
        if n.quantity < 0:
            raise ValueError(f"need {n.id}: negative quantity")
    for o in offers:
        if o.quantity < 0:
            raise ValueError(f"offer {o.id}: negative quantity")
        if o.radius_km < 0:
            raise ValueError(f"offer {o.id}: negative radius")


def match(
    needs: Sequence[NeedInput], offers: Sequence[OfferInput], *, today: date | None = None
) -> MatchResult:
    """Propose an optimal allocation of offers to needs, with reasons for every leftover.

    With `today`, a need already past its needed-by date is still needed: only the offer's
    own window limits when it can serve it, and it keeps its rank (priority, then the
    earliest needed-by date, which is the latest need) ahead of needs that are not late."""
    _validate(needs, offers)
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

    proposals: list[Proposal] = []
    unmet: list[Unmet] = []
    for key in sorted(needs_by_group):
        group_needs = needs_by_group[key]
        group_offers = offers_by_group.get(key)
        if not group_offers:
            other_units = sorted(units_by_category.get(key[0], ()))
            reason = REASON_NO_CATEGORY
            if other_units:
                reason += f" (category {key[0]!r} is offered in: {', '.join(other_units)})"
            unmet.extend(Unmet(n.id, n.quantity, reason) for n in group_needs)
            continue
        _match_group(group_needs, group_offers, proposals, unmet, today)

    proposals.sort(key=lambda p: (p.need_id, p.offer_id))
    unmet.sort(key=lambda u: u.need_id)
    return MatchResult(proposals=proposals, unmet=unmet)


def _match_group(
    needs: list[NeedInput],
    offers: list[OfferInput],
    proposals: list[Proposal],
    unmet: list[Unmet],
    today: date | None = None,
) -> None:
    edges, in_range, in_window = _eligible_edges(needs, offers, today)
    flows = _solve(needs, offers, edges)

    served = [0] * len(needs)
    # Per offer, which needs actually drew from it; used to explain shortfalls.
    drawn_by: dict[int, list[int]] = defaultdict(list)
    for edge, flow in zip(edges, flows, strict=True):
        if flow <= 0:
            continue
        need, offer = needs[edge.need], offers[edge.offer]
        served[edge.need] += flow
        drawn_by[edge.offer].append(edge.need)
        proposals.append(
            Proposal(
                need_id=need.id,
                offer_id=offer.id,
                quantity=flow,
                distance_km=round(edge.distance_km, 3),
                reasons=(
                    f"priority: {PRIORITIES[_PRIORITY_RANK[need.priority]]}",
                    _deadline_reason(need, today),
                    f"distance {edge.distance_km:.1f} km within radius "
                    f"{_fmt_km(offer.radius_km)} km",
                    f"window overlap {edge.window_start.isoformat()}.."
                    f"{edge.window_end.isoformat()}",
                ),
            )
        )

    eligible: dict[int, list[int]] = defaultdict(list)
    for edge in edges:
        eligible[edge.need].append(edge.offer)

    for i, need in enumerate(needs):
        left = need.quantity - served[i]
        if left <= 0:
            continue
        if i not in eligible:
            reason = _ineligible_reason(need, offers, in_range[i], in_window[i], today)
        else:
            reason = _shortfall_reason(i, needs, offers, eligible[i], drawn_by)
        if served[i]:
            reason = (
                f"partially served ({served[i]} of {need.quantity}); {left} left unmet: {reason}"
            )
        unmet.append(Unmet(need.id, left, reason))


def _eligible_edges(
    needs: list[NeedInput], offers: list[OfferInput], today: date | None = None
) -> tuple[list[_Edge], list[bool], list[bool]]:
    """Pairs within radius and window, plus per-need flags that explain missing pairs."""
    offer_geo = []
    for o in offers:
        phi = math.radians(o.lat)
        offer_geo.append((phi, math.cos(phi), math.radians(o.lon), o.radius_km / EARTH_RADIUS_KM))
    edges: list[_Edge] = []
    in_range = [False] * len(needs)
    in_window = [False] * len(needs)
    for i, n in enumerate(needs):
        overdue = _overdue_days(n, today) > 0
        phi_n = math.radians(n.lat)
        cos_n = math.cos(phi_n)
        lam_n = math.radians(n.lon)
        for j, o in enumerate(offers):
            start = o.available_from if n.opens_on is None else max(o.available_from, n.opens_on)
            if overdue:
                # Late already: it can be served from today until the offer's window closes.
                start, end = max(start, today), o.available_until  # type: ignore[type-var]
            else:
                end = min(o.available_until, n.needed_by)
            window_ok = start <= end
            phi_o, cos_o, lam_o, max_dphi = offer_geo[j]
            # Great-circle distance is at least R * |latitude difference|, so this skips most
            # far pairs before any trigonometry; the slack keeps boundary pairs for haversine.
            if abs(phi_n - phi_o) > max_dphi + 1e-12:
                in_window[i] |= window_ok
                continue
            if not window_ok and in_range[i]:
                continue
            distance = _haversine_rad(phi_o, cos_o, lam_o, phi_n, cos_n, lam_n)
            if distance > o.radius_km:
                in_window[i] |= window_ok
                continue
            in_range[i] = True
            if window_ok:
                in_window[i] = True
                edges.append(_Edge(i, j, distance, start, end))
    return edges, in_range, in_window


def _ineligible_reason(
    need: NeedInput,
    offers: list[OfferInput],
    any_in_range: bool,
    any_in_window: bool,
    today: date | None = None,
) -> str:
    if not any_in_range:
        nearest = min(offers, key=lambda o: (haversine_km(need.lat, need.lon, o.lat, o.lon), o.id))
        distance = haversine_km(need.lat, need.lon, nearest.lat, nearest.lon)
        return (
            f"{REASON_OUT_OF_RANGE} (nearest offer {nearest.id} is {distance:.1f} km away, "
            f"radius {_fmt_km(nearest.radius_km)} km)"
        )
    if any_in_window:
        detail = "offers within range are available at other dates"
    else:
        detail = "no offer of this kind is available then"
    return f"{REASON_NO_WINDOW} (needed {_need_window(need, today)}; {detail})"


def _shortfall_reason(
    i: int,
    needs: list[NeedInput],
    offers: list[OfferInput],
    eligible_offers: list[int],
    drawn_by: dict[int, list[int]],
) -> str:
    # An optimal flow saturates every eligible offer of an under-served need, and never
    # gives such an offer to a strictly lower class, so the competitors are all we need.
    own = _need_class(needs[i])
    competitors = {k for j in eligible_offers for k in drawn_by.get(j, ()) if k != i}
    if any(_need_class(needs[k]) < own for k in competitors):
        return REASON_COMMITTED
    if competitors:
        return REASON_SHARED
    capacity = sum(offers[j].quantity for j in eligible_offers)
    return f"{REASON_NOT_ENOUGH} ({capacity} {needs[i].unit} in total)"


def _need_class(need: NeedInput) -> tuple[int, date]:
    return (_PRIORITY_RANK[need.priority], need.needed_by)


def _solve(needs: list[NeedInput], offers: list[OfferInput], edges: list[_Edge]) -> list[int]:
    """Optimal flow per edge for one category+unit group."""
    if not edges:
        return []
    need_ids = sorted({e.need for e in edges})
    offer_ids = sorted({e.offer for e in edges})
    offer_node = {j: k for k, j in enumerate(offer_ids)}
    need_node = {i: len(offer_ids) + k for k, i in enumerate(need_ids)}
    spill = len(offer_ids) + len(need_ids)  # absorbs unused supply and feeds unmet demand
    num_nodes = spill + 1

    classes = sorted({_need_class(needs[i]) for i in need_ids})
    class_index = {c: k for k, c in enumerate(classes)}
    total_demand = sum(needs[i].quantity for i in need_ids)
    total_supply = sum(offers[j].quantity for j in offer_ids)
    max_metres = max(round(e.distance_km * 1000) for e in edges)

    # Cost encoding: leaving a unit of need class k (classes sorted by priority, then
    # needed_by) unmet costs w_k = (K - k) * G; shipping costs its distance. Any change to
    # an optimal flow decomposes into simple residual cycles; each one moves at most one
    # unit of service between two needs (or to/from spare supply) and crosses at most
    # 2*min(#offers, #needs) offer-need arcs, so its distance effect is below G. With
    # consecutive w_k at least G apart, no distance saving can buy a unit of a higher class,
    # which makes the weighted optimum exactly the lexicographic one, using only linearly
    # growing integers. Distances are coarsened only if int64 would otherwise overflow.
    metres_per_unit = 1
    while True:
        unit_cost = -(-max_metres // metres_per_unit)
        gap = 2 * min(len(need_ids), len(offer_ids)) * unit_cost + 1
        top = len(classes) * gap
        worst_total = top * total_demand + unit_cost * total_supply
        if top * (num_nodes + 1) < _INT_LIMIT and worst_total < _INT_LIMIT:
            break
        if unit_cost == 0:
            raise ValueError("quantities too large for an exact integer min-cost flow")
        metres_per_unit *= 10

    tails: list[int] = []
    heads: list[int] = []
    caps: list[int] = []
    costs: list[int] = []
    for e in edges:
        tails.append(offer_node[e.offer])
        heads.append(need_node[e.need])
        caps.append(min(offers[e.offer].quantity, needs[e.need].quantity))
        costs.append(round(e.distance_km * 1000) // metres_per_unit)
    for j in offer_ids:
        tails.append(offer_node[j])
        heads.append(spill)
        caps.append(offers[j].quantity)
        costs.append(0)
    for i in need_ids:
        tails.append(spill)
        heads.append(need_node[i])
        caps.append(needs[i].quantity)
        costs.append((len(classes) - class_index[_need_class(needs[i])]) * gap)

    # Imported here: OR-Tools costs a web worker tens of MB it never needs for a page.
    from ortools.graph.python import min_cost_flow

    solver = min_cost_flow.SimpleMinCostFlow()
    arcs = solver.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    supplies = [offers[j].quantity for j in offer_ids]
    supplies += [-needs[i].quantity for i in need_ids]
    supplies.append(total_demand - total_supply)
    solver.set_nodes_supplies(list(range(num_nodes)), supplies)
    status = solver.solve()
    if status != solver.OPTIMAL:
        raise RuntimeError(f"min-cost flow solver failed with status {status}")
    return [int(f) for f in solver.flows(arcs[: len(edges)]).tolist()]
