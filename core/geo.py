"""Distances on the globe and overlaps of time windows, in plain math: pages and services
measure without loading numpy (the engine passes its arrays to the same functions)."""

import math

EARTH_RADIUS_KM = 6371.0088


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


def window_overlap(start_a, end_a, start_b, end_b):
    """Where two windows overlap, as (start, end), empty where start > end: for numbers,
    dates, datetimes and numpy arrays alike, so the engine and the volunteers'
    recommendations judge time windows with the same code."""
    if any(hasattr(v, "shape") for v in (start_a, end_a, start_b, end_b)):
        import numpy as np  # only the engine passes arrays, and it has numpy loaded

        return np.maximum(start_a, start_b), np.minimum(end_a, end_b)
    return max(start_a, start_b), min(end_a, end_b)
