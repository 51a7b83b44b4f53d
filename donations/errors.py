"""Errors raised by the donations domain."""

from core.errors import Conflict, Forbidden, InvalidInput, NotFound


class OfferNotFound(NotFound):
    code = "offer_not_found"


class MatchNotFound(NotFound):
    code = "match_not_found"


class RunNotFound(NotFound):
    code = "matching_run_not_found"


class DonationNotFound(NotFound):
    code = "donation_not_found"


class DisbursementNotFound(NotFound):
    code = "disbursement_not_found"


class LedgerEntryNotFound(NotFound):
    code = "ledger_entry_not_found"


class NotOwner(Forbidden):
    code = "not_owner"


class RunInProgress(Conflict):
    code = "matching_run_in_progress"


class InvalidState(Conflict):
    code = "invalid_state"


class OfferCapacityExceeded(Conflict):
    code = "offer_capacity_exceeded"


class NeedAlreadyCovered(Conflict):
    code = "need_already_covered"


class InsufficientFunds(Conflict):
    code = "insufficient_funds"


class IdempotencyMismatch(Conflict):
    code = "idempotency_key_reused"


class NotWanted(InvalidInput):
    """An in-kind pledge in a category the incident's officials asked donors not to send."""

    code = "not_wanted"


class BadReceiptFile(InvalidInput):
    code = "bad_receipt_file"


class BulkDecisionRefused(Conflict):
    code = "bulk_decision_refused"
