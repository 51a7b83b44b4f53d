"""The donations domain's service functions, one module per concern."""

from donations.service import figures, matching, money, offers, spending

__all__ = ["figures", "matching", "money", "offers", "spending"]
