"""The one "met" figure every page shows: the average share of each need's quantity met.

Needs count in different units (tents, litres, meals), so quantities are never added up
across needs; each need counts once, by the share of what it asks for that has arrived."""

from sqlalchemy import Float, cast, func

from recovery.models import Need


def met_share_sum():
    """SQL: the sum over the selected needs of quantity met / quantity (0 to 1 each)."""
    return func.sum(cast(Need.quantity_met, Float) / Need.quantity)


def average_met(share_sum: float | None, needs: int) -> float | None:
    """The headline figure (0 to 1) from `met_share_sum` over `needs` needs; None for none."""
    return (share_sum or 0.0) / needs if needs else None
