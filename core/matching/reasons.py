"""Why the engine proposed what it did, and why every need it left short was left short."""

from __future__ import annotations

from datetime import date

import numpy as np

from core.geo import haversine_km, window_overlap
from core.matching.arrays import NO_END, NeedArrays, OfferArrays, haversine_arrays
from core.matching.candidates import Arcs, scalar_at_edges, served_per_need
from core.matching.inputs import NeedInput, OfferInput, Unmet

# Stable leading phrases of Unmet.reason; callers may test with `startswith` / `in`.
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


def fmt_km(value: float) -> str:
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


def deadline_reason(need: NeedInput, today: date | None) -> str:
    late = _overdue_days(need, today)
    if late:
        word = "day" if late == 1 else "days"
        return f"overdue by {late} {word} (needed by {need.needed_by.isoformat()})"
    return f"needed by {need.needed_by.isoformat()}"


def explain(
    needs: list[NeedInput],
    offers: list[OfferInput],
    n: NeedArrays,
    o: OfferArrays,
    arcs: Arcs,
    flows: np.ndarray,
    unmet: list[Unmet],
    today: date | None,
) -> None:
    """An unmet line, with why, for every need the flow leaves short."""
    served = served_per_need(n, arcs, flows)
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


def _shortfall_reasons(
    n: NeedArrays,
    o: OfferArrays,
    arcs: Arcs,
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
    n: NeedArrays,
    i: int,
    offers: list[OfferInput],
    o: OfferArrays,
    today: date | None = None,
) -> str:
    km = haversine_arrays(o.phi, o.cos, o.lam, n.phi[i], n.cos[i], n.lam[i])
    everyone = np.arange(len(km))
    scalar_at_edges(km, o.radius, n, np.full(len(km), i), o, everyone)
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
            f"radius {fmt_km(nearest.radius_km)} km)"
        )
    if n.late[i]:
        opens, due = max(int(n.opens[i]), today.toordinal()), NO_END  # type: ignore[union-attr]
    else:
        opens, due = n.opens[i], n.due[i]
    start, end = window_overlap(o.start, o.until, opens, due)
    if (start <= end).any():
        detail = "offers within range are available at other dates"
    else:
        detail = "no offer of this kind is available then"
    return f"{REASON_NO_WINDOW} (needed {_need_window(need, today)}; {detail})"
