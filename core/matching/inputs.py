"""What the matching engine takes and gives: needs, offers, proposals, unmet lines."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from core.fairness import GroupFairness

PRIORITIES = ("critical", "high", "medium", "low")
PRIORITY_RANK = {name: rank for rank, name in enumerate(PRIORITIES)}


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


def validate(needs: Sequence[NeedInput], offers: Sequence[OfferInput]) -> None:
    if len({n.id for n in needs}) != len(needs):
        raise ValueError("duplicate need ids")
    if len({o.id for o in offers}) != len(offers):
        raise ValueError("duplicate offer ids")
    for n in needs:
        if n.priority not in PRIORITY_RANK:
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
