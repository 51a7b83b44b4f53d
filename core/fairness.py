"""Fairness between areas in matching: each area's covered share, and the bound's lower limits.

Within one category and unit, an area's covered share is what was covered before the run plus
what the run serves there, over what was covered plus what is still needed. With a bound of g
points, every area should get at least the incident-wide share minus g (the equity constraint
of Orgut, Ivy, Uzsoy and Wilson, IISE Transactions 2015, as a lower limit per area).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

__all__ = ["AreaShare", "GroupFairness", "area_index", "area_totals", "lower_bounds"]


@dataclass(frozen=True)
class AreaShare:
    """One area in one category and unit."""

    area_id: int
    need: int  # covered before the run plus still needed
    covered: int  # covered before the run
    served: int  # served by the run without a bound
    served_bounded: int | None = None  # served with the bound (None: no bound asked)
    bound: int | None = None  # the least the bound asked the run to serve here

    def share(self, bounded: bool = False) -> float:
        served = self.served_bounded if bounded and self.served_bounded is not None else self.served
        return (self.covered + served) / self.need if self.need else 1.0


@dataclass(frozen=True)
class GroupFairness:
    """One category and unit: its totals (needs without an area included) and its areas."""

    category: str
    unit: str
    need: int
    covered: int
    served: int
    served_bounded: int | None
    areas: tuple[AreaShare, ...]

    def share(self, bounded: bool = False) -> float:
        served = self.served_bounded if bounded and self.served_bounded is not None else self.served
        return (self.covered + served) / self.need if self.need else 1.0


def area_index(area_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct areas (ids) and each need's index among them, -1 for a need without one."""
    named = area_ids >= 0
    keys, inverse = np.unique(area_ids[named], return_inverse=True)
    index = np.full(len(area_ids), -1, np.int64)
    index[named] = inverse
    return keys, index


def area_totals(index: np.ndarray, count: int, values: np.ndarray) -> np.ndarray:
    """Per area, the sum of a per-need quantity."""
    named = index >= 0
    return np.bincount(index[named], weights=values[named], minlength=count).astype(np.int64)


def lower_bounds(
    gap_pct: float,
    index: np.ndarray,
    count: int,
    quantity: np.ndarray,
    covered: np.ndarray,
    served: np.ndarray,
) -> np.ndarray:
    """Per area, the least the run must serve there so that its covered share is at most
    `gap_pct` points below the group-wide share of this allocation (`served` per need).

    Exact rational arithmetic, so a share exactly on the limit is not refused by rounding."""
    total_need = int(quantity.sum() + covered.sum())
    if total_need == 0:
        return np.zeros(count, np.int64)
    share = Fraction(int(covered.sum() + served.sum()), total_need)
    floor = share - Fraction(str(gap_pct)) / 100
    need = area_totals(index, count, quantity + covered)
    before = area_totals(index, count, covered)
    still = area_totals(index, count, quantity)
    bounds = np.zeros(count, np.int64)
    if floor <= 0:
        return bounds
    for a in range(count):
        wanted = math.ceil(floor * int(need[a])) - int(before[a])
        bounds[a] = min(max(wanted, 0), int(still[a]))
    return bounds
