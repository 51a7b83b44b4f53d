"""Matching engine: allocates offers to open needs as an exact min-cost flow problem."""

from __future__ import annotations

import itertools
import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from core.fairness import AreaShare, GroupFairness, area_index, area_totals, lower_bounds
from core.geo import EARTH_RADIUS_KM, haversine_km, window_overlap

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
REASON_FAIRNESS = "offers in range went to areas held up by the fairness bound"

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
    area_id: int | None = None  # the township, for the fairness bound between areas
    covered: int = 0  # already met or promised before this run: counts in the area's share


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
    # Per category and unit with needs in named areas: each area's share, with and without
    # the fairness bound.
    fairness: tuple[GroupFairness, ...] = ()


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
        if n.covered < 0:
            raise ValueError(f"need {n.id}: negative covered quantity")
    for o in offers:
        if o.quantity < 0:
            raise ValueError(f"offer {o.id}: negative quantity")
        if o.radius_km < 0:
            raise ValueError(f"offer {o.id}: negative radius")


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
    to an area above its limit or to a need without an area: that comes first, then priority
    and lateness, then distance (see core.fairness)."""
    _validate(needs, offers)
    if max_area_gap_pct is not None and not 0 <= max_area_gap_pct <= 100:
        raise ValueError("max_area_gap_pct must lie between 0 and 100")
    if stats is not None:
        stats.update(arcs=0, candidates_s=0.0, solve_s=0.0)
    proposals: list[Proposal] = []
    unmet: list[Unmet] = []
    fairness: list[GroupFairness] = []
    groups = list(_groups(needs, offers))
    # Work grows with a group's needs times offers, so progress is counted in those.
    work = [max(len(g[1]) * len(g[2]), 1) for g in groups]
    total, done = sum(work), 0
    for (key, group_needs, group_offers, other_units), size in zip(groups, work, strict=True):
        if group_offers:
            fair = _match_group(
                group_needs, group_offers, proposals, unmet, today, stats, max_area_gap_pct
            )
        else:
            reason = REASON_NO_CATEGORY
            if other_units:
                reason += f" (category {key[0]!r} is offered in: {', '.join(other_units)})"
            unmet.extend(Unmet(n.id, n.quantity, reason) for n in group_needs)
            fair = _unserved_fairness(key, _need_arrays(group_needs, today), max_area_gap_pct)
        if fair is not None:
            fairness.append(fair)
        done += size
        if progress is not None:
            progress(done / total)
    proposals.sort(key=lambda p: (p.need_id, p.offer_id))
    unmet.sort(key=lambda u: u.need_id)
    return MatchResult(proposals=proposals, unmet=unmet, fairness=tuple(fairness))


def _groups(needs: Sequence[NeedInput], offers: Sequence[OfferInput]):
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


# --- arrays -----------------------------------------------------------------------------

_NO_DATE = -1  # ordinal before any real date: "no opening date"
_NO_END = date.max.toordinal() + 1  # ordinal after any real date: "still needed"
# Radians added to every bound of the spatial index, far above float rounding (1e-16) and
# far below any distance that matters (6 cm), so the index never drops an eligible pair.
_SLACK = 1e-8
_SMALL_GROUP = 1 << 14  # below this many pairs, comparing all of them is cheapest
_CHUNK = 1 << 20  # candidate pairs checked at once
_BANDS = 8  # needed-by date bands in the spatial index


@dataclass(slots=True)
class _NeedArrays:
    ids: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    phi: np.ndarray
    lam: np.ndarray
    cos: np.ndarray
    qty: np.ndarray
    opens: np.ndarray
    due: np.ndarray
    late: np.ndarray
    key: np.ndarray  # rank of (priority, needed_by): smaller is served first
    area: np.ndarray  # the area's index among the group's areas, -1 for none
    areas: np.ndarray  # the group's area ids
    covered: np.ndarray


@dataclass(slots=True)
class _OfferArrays:
    ids: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    phi: np.ndarray
    lam: np.ndarray
    cos: np.ndarray
    qty: np.ndarray
    radius: np.ndarray
    start: np.ndarray
    until: np.ndarray


def _floats(items: Sequence, attr: str) -> np.ndarray:
    return np.fromiter((getattr(x, attr) for x in items), np.float64, len(items))


def _ints(values, count: int) -> np.ndarray:
    return np.fromiter(values, np.int64, count)


def _need_arrays(needs: Sequence[NeedInput], today: date | None) -> _NeedArrays:
    count = len(needs)
    lat, lon = _floats(needs, "lat"), _floats(needs, "lon")
    phi = np.radians(lat)
    due = _ints((n.needed_by.toordinal() for n in needs), count)
    opens = _ints((n.opens_on.toordinal() if n.opens_on else _NO_DATE for n in needs), count)
    late = due < today.toordinal() if today is not None else np.zeros(count, bool)
    rank = _ints((_PRIORITY_RANK[n.priority] for n in needs), count)
    areas, area = area_index(_ints((-1 if n.area_id is None else n.area_id for n in needs), count))
    return _NeedArrays(
        ids=_ints((n.id for n in needs), count),
        lat=lat,
        lon=lon,
        phi=phi,
        lam=np.radians(lon),
        cos=np.cos(phi),
        qty=_ints((n.quantity for n in needs), count),
        opens=opens,
        due=due,
        late=late,
        key=rank * 10_000_000 + due,
        area=area,
        areas=areas,
        covered=_ints((n.covered for n in needs), count),
    )


def _offer_arrays(offers: Sequence[OfferInput]) -> _OfferArrays:
    count = len(offers)
    lat, lon = _floats(offers, "lat"), _floats(offers, "lon")
    phi = np.radians(lat)
    return _OfferArrays(
        ids=_ints((o.id for o in offers), count),
        lat=lat,
        lon=lon,
        phi=phi,
        lam=np.radians(lon),
        cos=np.cos(phi),
        qty=_ints((o.quantity for o in offers), count),
        radius=_floats(offers, "radius_km"),
        start=_ints((o.available_from.toordinal() for o in offers), count),
        until=_ints((o.available_until.toordinal() for o in offers), count),
    )


def _haversine_arrays(phi1, cos1, lam1, phi2, cos2, lam2) -> np.ndarray:
    # The same formula, term for term, as _haversine_rad.
    a = np.sin((phi2 - phi1) / 2) ** 2 + cos1 * cos2 * np.sin((lam2 - lam1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))


def _math_km(n: _NeedArrays, i: int, o: _OfferArrays, j: int) -> float:
    """The scalar haversine of one pair, exactly as haversine_km computes it."""
    return haversine_km(float(o.lat[j]), float(o.lon[j]), float(n.lat[i]), float(n.lon[i]))


def _wrap(lam: np.ndarray) -> np.ndarray:
    return np.mod(lam + math.pi, 2 * math.pi) - math.pi


# --- candidate generation ---------------------------------------------------------------


def _candidate_pairs(n: _NeedArrays, o: _OfferArrays) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(need, offer) index pairs, in chunks, that include every pair within the offer's radius.

    A latitude-row index: needs are sorted by (row, longitude); each offer looks up, row by
    row, the longitude interval that bounds its spherical cap (Matuschek's bounding
    coordinates), so far pairs are never compared and the work grows with the arcs."""
    count_n, count_o = len(n.phi), len(o.phi)
    sane = bool(np.all(np.abs(n.phi) <= math.pi / 2) and np.all(np.abs(o.phi) <= math.pi / 2))
    if count_n * count_o <= _SMALL_GROUP or not sane:
        yield (
            np.repeat(np.arange(count_n, dtype=np.int64), count_o),
            np.tile(np.arange(count_o, dtype=np.int64), count_n),
        )
        return
    rho = o.radius / EARTH_RADIUS_KM + _SLACK
    lat_min = float(n.phi.min())
    span = float(n.phi.max()) - lat_min
    # Rows a quarter of the typical radius high: little overshoot, few lookups per offer;
    # the floors bound the lookups for huge radii and keep the float keys precise.
    height = max(float(np.median(rho)) / 4, float(rho.max()) / 64, span / 65536, 1e-7)
    row_base = math.floor(lat_min / height)
    need_row = np.floor(n.phi / height).astype(np.int64) - row_base
    rows = int(need_row.max()) + 1
    # Bands by needed-by date (late needs apart): an offer that starts after a band's last
    # date cannot serve any need in it, so it never looks there.
    band_top, need_band = _date_bands(n)
    # Longitude plus pi lies in [0, 2 pi] < 8, so rows never overlap in the key.
    key = (need_band * rows + need_row) * 8.0 + (_wrap(n.lam) + math.pi)
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]

    low_row = np.maximum(np.floor((o.phi - rho) / height).astype(np.int64) - row_base, 0)
    high_row = np.minimum(np.floor((o.phi + rho) / height).astype(np.int64) - row_base, rows - 1)
    polar = np.abs(o.phi) + rho >= math.pi / 2  # the cap holds a pole: every longitude
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.sin(np.minimum(rho, math.pi / 2)) / o.cos
        half = np.where(polar, 4.0, np.arcsin(np.minimum(1.0, ratio)) + _SLACK)
    centre = _wrap(o.lam)
    low, high = centre - half, centre + half
    full = half >= math.pi
    # Up to two longitude intervals per offer: the cap, and its part across the date line.
    first_low = np.where(full, -math.pi, np.maximum(low, -math.pi))
    first_high = np.where(full, math.pi, np.minimum(high, math.pi))
    west = np.flatnonzero(~full & (low < -math.pi))
    east = np.flatnonzero(~full & (high > math.pi))
    owner = np.concatenate([np.arange(count_o), west, east])
    lon_low = np.concatenate([first_low, low[west] + 2 * math.pi, np.full(len(east), -math.pi)])
    lon_high = np.concatenate([first_high, np.full(len(west), math.pi), high[east] - 2 * math.pi])

    # Each interval is looked up in every band the offer could serve: the bands whose last
    # date is on or after the offer's start, and the late band.
    first_band = 1 + np.searchsorted(band_top, o.start[owner], "left")
    dated = len(band_top) + 1 - first_band
    late = bool(n.late.any())
    per_interval = dated + late
    lookup = np.repeat(np.arange(len(owner)), per_interval)
    band = first_band[lookup] + _offsets(per_interval)
    if late:
        band[np.cumsum(per_interval) - 1] = 0
    band_owner, band_low, band_high = owner[lookup], lon_low[lookup], lon_high[lookup]
    row_from, row_to = low_row[band_owner], high_row[band_owner]

    per_band = np.maximum(row_to - row_from + 1, 0)
    interval = np.repeat(np.arange(len(band_owner)), per_band)
    row = (band[interval] * rows + row_from[interval] + _offsets(per_band)) * 8.0
    # Float addition is monotone, so a key inside an interval stays inside its bounds.
    begin = np.searchsorted(sorted_key, row + (band_low[interval] + math.pi), "left")
    stop = np.searchsorted(sorted_key, row + (band_high[interval] + math.pi), "right")
    found = stop - begin
    pair_owner = band_owner[interval]
    # Chunks of about _CHUNK pairs bound the memory, whatever the size of the group.
    ends = np.cumsum(found)
    cuts = np.searchsorted(ends, np.arange(_CHUNK, int(ends[-1]) if len(ends) else 0, _CHUNK))
    bounds = [0, *sorted(set((cuts + 1).tolist())), len(found)]
    for lo, hi in itertools.pairwise(bounds):
        if lo >= hi:
            continue
        counts = found[lo:hi]
        query = np.repeat(np.arange(lo, hi), counts)
        position = begin[query] + _offsets(counts)
        yield order[position], pair_owner[query]


def _date_bands(n: _NeedArrays) -> tuple[np.ndarray, np.ndarray]:
    """The last needed-by date of each band, and each need's band (0 for late needs)."""
    dues = np.sort(n.due[~n.late])
    if len(dues) == 0:
        return np.zeros(0, np.int64), np.zeros(len(n.due), np.int64)
    cut = np.ceil(np.arange(1, _BANDS + 1) * len(dues) / _BANDS).astype(np.int64) - 1
    top = np.unique(dues[cut])
    return top, np.where(n.late, 0, 1 + np.searchsorted(top, n.due, "left"))


def _offsets(counts: np.ndarray) -> np.ndarray:
    """0..c-1 for every count c, concatenated."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    starts = np.cumsum(counts) - counts
    return np.arange(total, dtype=np.int64) - np.repeat(starts, counts)


@dataclass(slots=True)
class _Arcs:
    need: np.ndarray  # index into the group's needs
    offer: np.ndarray  # index into the group's offers
    km: np.ndarray
    start: np.ndarray  # window overlap, as date ordinals
    end: np.ndarray


def _eligible_arcs(n: _NeedArrays, o: _OfferArrays, today: date | None) -> _Arcs:
    """Pairs within window and radius, sorted by (need, offer)."""
    today_ordinal = today.toordinal() if today is not None else 0
    parts = []
    for ni, oj in _candidate_pairs(n, o):
        # The window first: integer compares are cheaper than the distance. A need already
        # late can be served from today until the offer's window closes.
        late = n.late[ni]
        opens = np.where(late, np.maximum(n.opens[ni], today_ordinal), n.opens[ni])
        due = np.where(late, _NO_END, n.due[ni])
        start, end = window_overlap(o.start[oj], o.until[oj], opens, due)
        ok = start <= end
        ni, oj, start, end = ni[ok], oj[ok], start[ok], end[ok]
        km = _haversine_arrays(o.phi[oj], o.cos[oj], o.lam[oj], n.phi[ni], n.cos[ni], n.lam[ni])
        _scalar_at_edges(km, o.radius[oj], n, ni, o, oj)
        near = km <= o.radius[oj]
        parts.append((ni[near], oj[near], km[near], start[near], end[near]))
    if not parts:
        empty = np.zeros(0, np.int64)
        return _Arcs(empty, empty, np.zeros(0), empty, empty)
    ni, oj, km, start, end = (np.concatenate(column) for column in zip(*parts, strict=True))
    order = np.lexsort((oj, ni))
    return _Arcs(ni[order], oj[order], km[order], start[order], end[order])


def _scalar_at_edges(
    km: np.ndarray,
    radius: np.ndarray,
    n: _NeedArrays,
    ni: np.ndarray,
    o: _OfferArrays,
    oj: np.ndarray,
) -> None:
    """Where vector and scalar maths could round differently (at the radius, at half a
    metre), let the scalar haversine decide, so results equal the scalar engine's."""
    metres = km * 1000
    close = np.abs(km - radius) <= 1e-9 * np.maximum(radius, 1.0)
    close |= np.abs(metres - np.floor(metres) - 0.5) < 1e-6
    for k in np.flatnonzero(close).tolist():
        km[k] = _math_km(n, int(ni[k]), o, int(oj[k]))


# --- the flow network -------------------------------------------------------------------


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


def _network(
    n: _NeedArrays, o: _OfferArrays, arcs: _Arcs, bounds: np.ndarray | None = None
) -> FlowNetwork:
    """The group's network; with `bounds` (the least to serve per area), through area nodes."""
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
    levels = classes + 1 if fair else classes

    # Cost encoding: leaving a unit of need class k (classes sorted by priority, then
    # needed_by) unmet costs w_k = (K - k) * G; shipping costs its distance. Any change to
    # an optimal flow decomposes into simple residual cycles; each one moves at most one
    # unit of service between two needs (or to/from spare supply) and crosses at most
    # 2*min(#offers, #needs) offer-need arcs, so its distance effect is below G. With
    # consecutive w_k at least G apart, no distance saving can buy a unit of a higher class,
    # which makes the weighted optimum exactly the lexicographic one, using only linearly
    # growing integers. With a fairness bound, each unit an area falls short of its limit
    # costs (K + 1) * G more: above any exchange of classes and distance, so the shortfall
    # below the limits is the least possible first. Distances are coarsened only if int64
    # would otherwise overflow.
    metres_per_unit = 1
    while True:
        unit_cost = -(-max_metres // metres_per_unit)
        gap = 2 * min(n_need, n_off) * unit_cost + 1
        top = levels * gap
        worst_total = (top + classes * gap) * total_demand + unit_cost * total_supply
        if top * (num_nodes + 1) < _INT_LIMIT and worst_total < _INT_LIMIT:
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
    if fair and len(areas_here):
        bounded = node_area >= 0
        area_node = np.searchsorted(areas_here, node_area[bounded])
        feeder[bounded] = spill + 1 + area_node
        # Per area: unmet up to (its demand here - its limit) is free, beyond it costs more.
        demand_here = np.bincount(area_node, weights=need_qty[bounded], minlength=len(areas_here))
        demand_here = demand_here.astype(np.int64)
        lower = np.minimum(bounds[areas_here], demand_here)
        nodes = spill + 1 + np.arange(len(areas_here))
        tails += [np.full(len(nodes), spill), np.full(len(nodes), spill)]
        heads += [nodes, nodes]
        capacities += [demand_here - lower, lower]
        costs += [np.zeros(len(nodes), np.int64), np.full(len(nodes), top)]
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
    )


def solve_network(network: FlowNetwork) -> np.ndarray:
    """Optimal flow on each need-offer arc of a network."""
    # Imported here: OR-Tools costs a web worker tens of MB it never needs for a page.
    from ortools.graph.python import min_cost_flow

    solver = min_cost_flow.SimpleMinCostFlow()
    arc_ids = solver.add_arcs_with_capacity_and_unit_cost(
        network.tails, network.heads, network.capacities, network.costs
    )
    solver.set_nodes_supplies(np.arange(len(network.supplies)), network.supplies)
    status = solver.solve()
    if status != solver.OPTIMAL:
        raise RuntimeError(f"min-cost flow solver failed with status {status}")
    return np.asarray(solver.flows(arc_ids[: network.arcs]), dtype=np.int64)


def flow_networks(
    needs: Sequence[NeedInput], offers: Sequence[OfferInput], *, today: date | None = None
) -> list[FlowNetwork]:
    """The networks match() solves, one per category and unit (for benchmarks and checks)."""
    _validate(needs, offers)
    networks = []
    for _key, group_needs, group_offers, _units in _groups(needs, offers):
        if group_offers:
            n, o = _need_arrays(group_needs, today), _offer_arrays(group_offers)
            arcs = _eligible_arcs(n, o, today)
            if len(arcs.need):
                networks.append(_network(n, o, arcs))
    return networks


# --- one group --------------------------------------------------------------------------


# Rounds of "limits from the allocation, allocation within the limits": the group-wide share
# the limits follow moves a little when the bound moves supply; it settles in one or two.
_FAIR_ROUNDS = 4


def _match_group(
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
    n, o = _need_arrays(needs, today), _offer_arrays(offers)
    arcs = _eligible_arcs(n, o, today)
    generated = time.perf_counter()
    if stats is not None:
        stats["arcs"] += len(arcs.need)
        stats["candidates_s"] += generated - started
    if not len(arcs.need):
        _explain(needs, offers, n, o, arcs, np.zeros(0, np.int64), unmet, today)
        return _unserved_fairness(key, n, max_area_gap_pct)
    flows = solve_network(_network(n, o, arcs))
    free = _served(n, arcs, flows)
    bounds = None
    if max_area_gap_pct is not None and len(n.areas):
        flows, bounds = _bounded_flows(n, o, arcs, flows, max_area_gap_pct)
    if stats is not None:
        stats["solve_s"] += time.perf_counter() - generated

    served = _served(n, arcs, flows)
    fairness = _fairness(key, n, free, served if bounds is not None else None, bounds)
    # Areas the bound gave more than they would have had without it.
    raised = set()
    if fairness is not None and bounds is not None:
        raised = {a.area_id for a in fairness.areas if (a.served_bounded or 0) > a.served}
    used = np.flatnonzero(flows > 0)
    for k in used.tolist():
        i, j = int(arcs.need[k]), int(arcs.offer[k])
        need, offer = needs[i], offers[j]
        distance = _math_km(n, i, o, j)
        reasons = (
            f"priority: {PRIORITIES[_PRIORITY_RANK[need.priority]]}",
            _deadline_reason(need, today),
            f"distance {distance:.1f} km within radius {_fmt_km(offer.radius_km)} km",
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

    _explain(needs, offers, n, o, arcs, flows, unmet, today)
    return fairness


def _explain(
    needs: list[NeedInput],
    offers: list[OfferInput],
    n: _NeedArrays,
    o: _OfferArrays,
    arcs: _Arcs,
    flows: np.ndarray,
    unmet: list[Unmet],
    today: date | None,
) -> None:
    """An unmet line, with why, for every need the flow leaves short."""
    served = _served(n, arcs, flows)
    left = n.qty - served
    if not (left > 0).any():
        return
    shortfall = _shortfall_reasons(n, o, arcs, flows, left, needs[0].unit)
    for i in np.flatnonzero(left > 0).tolist():
        need = needs[i]
        reason = shortfall.get(i)
        if reason is None:
            reason = _ineligible_reason(need, n, i, offers, o, today)
        if served[i]:
            reason = (
                f"partially served ({served[i]} of {need.quantity}); {left[i]} left unmet: {reason}"
            )
        unmet.append(Unmet(need.id, int(left[i]), reason))


def _served(n: _NeedArrays, arcs: _Arcs, flows: np.ndarray) -> np.ndarray:
    served = np.zeros(len(n.qty), np.int64)
    np.add.at(served, arcs.need, flows)
    return served


def _bounded_flows(
    n: _NeedArrays, o: _OfferArrays, arcs: _Arcs, flows: np.ndarray, gap_pct: float
) -> tuple[np.ndarray, np.ndarray]:
    """The allocation within the fairness bound, and the limits (least to serve per area) it
    was solved for."""
    count = len(n.areas)
    bounds = lower_bounds(gap_pct, n.area, count, n.qty, n.covered, _served(n, arcs, flows))
    if (area_totals(n.area, count, _served(n, arcs, flows)) >= bounds).all():
        # The free optimum keeps the bound already, so it is the optimum within it too.
        return flows, bounds
    for _round in range(_FAIR_ROUNDS):
        flows = solve_network(_network(n, o, arcs, bounds))
        wanted = lower_bounds(gap_pct, n.area, count, n.qty, n.covered, _served(n, arcs, flows))
        if np.array_equal(wanted, bounds):
            break
        bounds = wanted
    else:
        flows = solve_network(_network(n, o, arcs, bounds))
    return flows, bounds


def _unserved_fairness(
    key: tuple[str, str], n: _NeedArrays, gap_pct: float | None
) -> GroupFairness | None:
    """The shares of a group nothing can serve, with the limits a bound would set."""
    nothing = np.zeros(len(n.qty), np.int64)
    if gap_pct is None or not len(n.areas):
        return _fairness(key, n, nothing, None, None)
    bounds = lower_bounds(gap_pct, n.area, len(n.areas), n.qty, n.covered, nothing)
    return _fairness(key, n, nothing, nothing, bounds)


def _fairness(
    key: tuple[str, str],
    n: _NeedArrays,
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


def _shortfall_reasons(
    n: _NeedArrays,
    o: _OfferArrays,
    arcs: _Arcs,
    flows: np.ndarray,
    left: np.ndarray,
    unit: str,
) -> dict[int, str]:
    """Why each under-served need that has eligible offers did not get more."""
    # An optimal flow saturates every eligible offer of an under-served need, and never
    # gives such an offer to a strictly lower class, so the competitors are all we need.
    mine = left[arcs.need] > 0
    if not mine.any():
        return {}
    drew = flows > 0
    lowest = np.full(len(o.qty), np.iinfo(np.int64).max)
    np.minimum.at(lowest, arcs.offer[drew], n.key[arcs.need[drew]])
    drawers = np.bincount(arcs.offer[drew], minlength=len(o.qty))
    need, offer = arcs.need[mine], arcs.offer[mine]
    committed = lowest[offer] < n.key[need]
    shared = drawers[offer] - drew[mine] > 0
    capacity = np.zeros(len(n.qty), np.int64)
    np.add.at(capacity, need, o.qty[offer])
    size = len(n.qty)
    any_committed = np.bincount(need, weights=committed, minlength=size) > 0
    any_shared = np.bincount(need, weights=shared, minlength=size) > 0
    # Without a bound no offer an under-served need could use goes to a lower class; with one,
    # only the bound sends it there.
    highest = np.full(len(o.qty), np.iinfo(np.int64).min)
    np.maximum.at(highest, arcs.offer[drew], n.key[arcs.need[drew]])
    held = np.bincount(need, weights=highest[offer] > n.key[need], minlength=size) > 0
    reasons = {}
    for i in np.unique(need).tolist():
        if held[i]:
            reasons[i] = REASON_FAIRNESS
        elif any_committed[i]:
            reasons[i] = REASON_COMMITTED
        elif any_shared[i]:
            reasons[i] = REASON_SHARED
        else:
            reasons[i] = f"{REASON_NOT_ENOUGH} ({capacity[i]} {unit} in total)"
    return reasons


def _ineligible_reason(
    need: NeedInput,
    n: _NeedArrays,
    i: int,
    offers: list[OfferInput],
    o: _OfferArrays,
    today: date | None = None,
) -> str:
    km = _haversine_arrays(o.phi, o.cos, o.lam, n.phi[i], n.cos[i], n.lam[i])
    everyone = np.arange(len(km))
    _scalar_at_edges(km, o.radius, n, np.full(len(km), i), o, everyone)
    if not (km <= o.radius).any():
        # The vector maths only shortlists; the scalar haversine and the id break ties.
        tied = np.flatnonzero(km <= km.min() * (1 + 1e-9) + 1e-9).tolist()
        nearest = min(
            (offers[j] for j in tied),
            key=lambda x: (haversine_km(need.lat, need.lon, x.lat, x.lon), x.id),
        )
        distance = haversine_km(need.lat, need.lon, nearest.lat, nearest.lon)
        return (
            f"{REASON_OUT_OF_RANGE} (nearest offer {nearest.id} is {distance:.1f} km away, "
            f"radius {_fmt_km(nearest.radius_km)} km)"
        )
    if n.late[i]:
        opens, due = max(int(n.opens[i]), today.toordinal()), _NO_END  # type: ignore[union-attr]
    else:
        opens, due = n.opens[i], n.due[i]
    start, end = window_overlap(o.start, o.until, opens, due)
    if (start <= end).any():
        detail = "offers within range are available at other dates"
    else:
        detail = "no offer of this kind is available then"
    return f"{REASON_NO_WINDOW} (needed {_need_window(need, today)}; {detail})"
