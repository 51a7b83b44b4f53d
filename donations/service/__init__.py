"""The donations domain's service functions; other domains reach only what is re-exported here.

Modules: offers, matching (runs), proposals (what a run found), fairness (townships and the
bound's trade-off), matches (decisions, deliveries, track records), deliveries (what the
offering side has to bring where), donations
(pledges and their receipt), spending (disbursements, reversals), funds (figures), giving
(most needed, don't send), ledger, receipts, scans, iati, incidents (picking, targets),
allocations (which gifts paid), trail (the donor's view), instructions, disclosures,
fundraising (appeals that gifts name and that disclose), in_kind (estimated values of gifts
in kind, apart from cash).
"""

from donations.service.disclosures import overdue_items as overdue_disclosures
from donations.service.donations import forget_donor
from donations.service.funds import PROJECT_FUNDS, incident_funds
from donations.service.matches import NEED_HELPERS, get_match, organization_record
from donations.service.offers import get_offer, put_reserve_offer

__all__ = [
    "forget_donor",
    "get_match",
    "get_offer",
    "incident_funds",
    "NEED_HELPERS",
    "PROJECT_FUNDS",
    "overdue_disclosures",
    "organization_record",
    "put_reserve_offer",
]
