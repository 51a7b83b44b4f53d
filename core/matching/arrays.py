"""Needs and offers of one category and unit as numpy arrays, and distances between them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from core.fairness import area_index
from core.geo import EARTH_RADIUS_KM, haversine_km
from core.matching.inputs import PRIORITY_RANK, NeedInput, OfferInput

NO_DATE = -1  # ordinal before any real date: "no opening date"
NO_END = date.max.toordinal() + 1  # ordinal after any real date: "still needed"


@dataclass(slots=True)
class NeedArrays:
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
class OfferArrays:
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


def need_arrays(needs: Sequence[NeedInput], today: date | None) -> NeedArrays:
    count = len(needs)
    due = _ints((n.needed_by.toordinal() for n in needs), count)
    opens = _ints((n.opens_on.toordinal() if n.opens_on else NO_DATE for n in needs), count)
    late = due < today.toordinal() if today is not None else np.zeros(count, bool)
    rank = _ints((PRIORITY_RANK[n.priority] for n in needs), count)
    areas, area = area_index(_ints((-1 if n.area_id is None else n.area_id for n in needs), count))
    return NeedArrays(
        ids=_ints((n.id for n in needs), count),
        **_positions(needs),
        qty=_ints((n.quantity for n in needs), count),
        opens=opens,
        due=due,
        late=late,
        key=rank * 10_000_000 + due,
        area=area,
        areas=areas,
        covered=_ints((n.covered for n in needs), count),
    )


def _positions(rows) -> dict[str, np.ndarray]:
    """Latitude and longitude in degrees, and what the distance code needs of them (radians,
    the latitude's cosine), computed once for needs and offers alike."""
    lat, lon = _floats(rows, "lat"), _floats(rows, "lon")
    phi = np.radians(lat)
    return {"lat": lat, "lon": lon, "phi": phi, "lam": np.radians(lon), "cos": np.cos(phi)}


def offer_arrays(offers: Sequence[OfferInput]) -> OfferArrays:
    count = len(offers)
    return OfferArrays(
        ids=_ints((o.id for o in offers), count),
        **_positions(offers),
        qty=_ints((o.quantity for o in offers), count),
        radius=_floats(offers, "radius_km"),
        start=_ints((o.available_from.toordinal() for o in offers), count),
        until=_ints((o.available_until.toordinal() for o in offers), count),
    )


def haversine_arrays(phi1, cos1, lam1, phi2, cos2, lam2) -> np.ndarray:
    # The same formula, term for term, as _haversine_rad.
    a = np.sin((phi2 - phi1) / 2) ** 2 + cos1 * cos2 * np.sin((lam2 - lam1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))


def math_km(n: NeedArrays, i: int, o: OfferArrays, j: int) -> float:
    """The scalar haversine of one pair, exactly as haversine_km computes it."""
    return haversine_km(float(o.lat[j]), float(o.lon[j]), float(n.lat[i]), float(n.lon[i]))
