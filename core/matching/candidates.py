"""Candidate generation: the (need, offer) pairs within radius and window, via a spatial index."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import numpy as np

from core.geo import EARTH_RADIUS_KM, window_overlap
from core.matching.arrays import NO_END, NeedArrays, OfferArrays, haversine_arrays, math_km

# Radians added to every bound of the spatial index, far above float rounding (1e-16) and
# far below any distance that matters (6 cm), so the index never drops an eligible pair.
_SLACK = 1e-8
_SMALL_GROUP = 1 << 14  # below this many pairs, comparing all of them is cheapest
_CHUNK = 1 << 20  # candidate pairs checked at once
_BANDS = 8  # needed-by date bands in the spatial index


def _wrap(lam: np.ndarray) -> np.ndarray:
    return np.mod(lam + math.pi, 2 * math.pi) - math.pi


def candidate_pairs(n: NeedArrays, o: OfferArrays) -> Iterator[tuple[np.ndarray, np.ndarray]]:
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


def _date_bands(n: NeedArrays) -> tuple[np.ndarray, np.ndarray]:
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
class Arcs:
    need: np.ndarray  # index into the group's needs
    offer: np.ndarray  # index into the group's offers
    km: np.ndarray
    start: np.ndarray  # window overlap, as date ordinals
    end: np.ndarray


def eligible_arcs(n: NeedArrays, o: OfferArrays, today: date | None) -> Arcs:
    """Pairs within window and radius, sorted by (need, offer)."""
    today_ordinal = today.toordinal() if today is not None else 0
    parts = []
    for ni, oj in candidate_pairs(n, o):
        # The window first: integer compares are cheaper than the distance. A need already
        # late can be served from today until the offer's window closes.
        late = n.late[ni]
        opens = np.where(late, np.maximum(n.opens[ni], today_ordinal), n.opens[ni])
        due = np.where(late, NO_END, n.due[ni])
        start, end = window_overlap(o.start[oj], o.until[oj], opens, due)
        ok = start <= end
        ni, oj, start, end = ni[ok], oj[ok], start[ok], end[ok]
        km = haversine_arrays(o.phi[oj], o.cos[oj], o.lam[oj], n.phi[ni], n.cos[ni], n.lam[ni])
        scalar_at_edges(km, o.radius[oj], n, ni, o, oj)
        near = km <= o.radius[oj]
        parts.append((ni[near], oj[near], km[near], start[near], end[near]))
    if not parts:
        empty = np.zeros(0, np.int64)
        return Arcs(empty, empty, np.zeros(0), empty, empty)
    ni, oj, km, start, end = (np.concatenate(column) for column in zip(*parts, strict=True))
    order = np.lexsort((oj, ni))
    return Arcs(ni[order], oj[order], km[order], start[order], end[order])


def scalar_at_edges(
    km: np.ndarray,
    radius: np.ndarray,
    n: NeedArrays,
    ni: np.ndarray,
    o: OfferArrays,
    oj: np.ndarray,
) -> None:
    """Where vector and scalar maths could round differently (at the radius, at half a
    metre), let the scalar haversine decide, so results equal the scalar engine's."""
    metres = km * 1000
    close = np.abs(km - radius) <= 1e-9 * np.maximum(radius, 1.0)
    close |= np.abs(metres - np.floor(metres) - 0.5) < 1e-6
    for k in np.flatnonzero(close).tolist():
        km[k] = math_km(n, int(ni[k]), o, int(oj[k]))


def served_per_need(n: NeedArrays, arcs: Arcs, flows: np.ndarray) -> np.ndarray:
    served = np.zeros(len(n.qty), np.int64)
    np.add.at(served, arcs.need, flows)
    return served
