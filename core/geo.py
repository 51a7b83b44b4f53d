"""Distances on the globe, in plain math: pages and services measure without loading numpy."""

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
