"""A run's fairness between areas: townships for the engine, and the trade-off the page shows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from recovery.service import area_choices

if TYPE_CHECKING:
    # For annotations only: core.matching loads numpy, which web workers do without.
    from core.matching import GroupFairness

TOWNSHIP = "township"


async def townships(session: AsyncSession, incident_id: int) -> tuple[dict[int, int], dict]:
    """Each area's township (a village counts in the township above it; an area with no
    township above it stands for itself), and the areas' names."""
    areas = {area.id: area for area, _depth in await area_choices(session, incident_id)}
    township_of = {}
    for area_id, area in areas.items():
        current, seen = area, set()
        while current.level != TOWNSHIP and current.parent_id in areas:
            if current.id in seen:  # a loop in the tree: stop where it began
                break
            seen.add(current.id)
            current = areas[current.parent_id]
        township_of[area_id] = current.id if current.level == TOWNSHIP else area_id
    return township_of, {area_id: area.name for area_id, area in areas.items()}


def _pct(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 100.0


def _side(groups: list[GroupFairness], names: dict, bounded: bool) -> dict | None:
    """Total served and the worst-served area's share, over every category and unit."""
    if bounded and not any(g.served_bounded is not None for g in groups):
        return None
    served = sum(g.served_bounded if bounded else g.served for g in groups)
    need = sum(g.need for g in groups)
    covered = sum(g.covered for g in groups)
    worst = None
    # A category nothing was offered for says nothing about fairness: supply went nowhere.
    for g in [g for g in groups if g.served] or groups:
        for a in g.areas:
            share = a.share(bounded)
            if worst is None or share < worst[0]:
                worst = (share, a.area_id, g)
    side = {"served": served, "need": need, "share_pct": _pct(covered + served, need)}
    if worst is not None:
        share, area_id, group = worst
        side |= {
            "worst_share_pct": round(100 * share, 1),
            "worst_area_id": area_id,
            "worst_area": names.get(area_id, str(area_id)),
            "worst_category": group.category,
            "worst_unit": group.unit,
        }
    return side


def _group(g: GroupFairness, names: dict) -> dict:
    return {
        "category": g.category,
        "unit": g.unit,
        "unbounded": _side([g], names, False),
        "bounded": _side([g], names, True),
        "areas": [
            {
                "area_id": a.area_id,
                "area": names.get(a.area_id, str(a.area_id)),
                "need": a.need,
                "covered": a.covered,
                "served": a.served,
                "served_bounded": a.served_bounded,
                "limit": a.bound,
            }
            for a in g.areas
        ],
    }


def summary(groups: tuple[GroupFairness, ...], names: dict) -> dict | None:
    """What a run stores for its page and API: both sides of the trade-off, per group too."""
    groups = [g for g in groups if g.areas]
    if not groups:
        return None
    return {
        "unbounded": _side(groups, names, False),
        "bounded": _side(groups, names, True),
        "groups": [_group(g, names) for g in groups],
    }
