"""Authorization rows for donations: offers, matching, donations, funds, the ledger, exports."""

from tests.authz import bodies as b
from tests.authz.matrix import (
    DONOR,
    NGO_A,
    OFFERING,
    OFFERING_OR_OFFICIAL,
    OFFICIAL_A,
    PUBLIC,
    row,
)


def refund_form(i):
    return {"amount": "0.01", "reason": "Sent twice"}


def receipt_form(i):
    return {
        "incident_id": i["incident"], "amount": "1.00", "currency": "CNY", "reference": "CASH-1",
        "channel": "cash",
    }  # fmt: skip


def instructions_form(i):
    return {"account_holder": "Recovery Office", "bank": "Bank of Riverside", "account_number": "1"}


def fundraising(i):
    return {
        "incident_id": i["incident"], "title": "Winter appeal", "starts_on": "2026-11-01",
        "ends_on": "2026-12-01", "currency": "CNY",
    }  # fmt: skip


def disclosure(i):
    return {"period_start": "2026-11-01", "period_end": "2026-11-02"}


def fundraising_form(i):
    return {k: v for k, v in fundraising(i).items() if k != "incident_id"}


# fmt: off
# Columns: an v1 v2 d1 d2 np op nA nB oA oB ad (see tests/authz/matrix.py).
ROWS = [
    row("POST /api/v1/offers", OFFERING),
    row("GET /api/v1/offers", OFFERING_OR_OFFICIAL),
    row("GET /api/v1/offers/{id:int}", "L F F F F F F A F A A F", id='offer'),
    row("PATCH /api/v1/offers/{id:int}", NGO_A, id='offer'),
    row("POST /api/v1/offers/{id:int}/withdraw", NGO_A, id='offer'),
    row("POST /api/v1/matching/runs", OFFICIAL_A, body=b.incident_only),
    row("GET /api/v1/matching/runs/{id:int}", OFFICIAL_A, id='run'),
    row("POST /api/v1/matching/runs/{id:int}/decisions", OFFICIAL_A, id='run', body=b.decide),
    row("GET /api/v1/matches", OFFERING),
    row("POST /api/v1/matches/{id:int}/accept", OFFICIAL_A, id='match'),
    row("POST /api/v1/matches/{id:int}/decline", OFFICIAL_A, id='match'),
    row("POST /api/v1/matches/{id:int}/fulfil", NGO_A, id='match', body=b.fulfil),
    row("POST /api/v1/donations", DONOR),
    row("GET /api/v1/donations", "L F F A A F F F F A A F"),
    row("POST /api/v1/donations/{id:int}/receive", OFFICIAL_A, id='donation', body=b.receive),
    row("POST /api/v1/disbursements", OFFICIAL_A, body=b.disbursement),
    row("GET /api/v1/disbursements", PUBLIC, query='?incident_id={incident}'),
    row("GET /api/v1/incidents/{id:int}/funds", PUBLIC, id='incident'),
    row("GET /api/v1/incidents/{id:int}/most-needed", PUBLIC, id='incident'),
    row("POST /api/v1/dont-send", OFFICIAL_A, body=b.dont_send),
    row("DELETE /api/v1/dont-send/{id:int}", OFFICIAL_A, id='dont_send'),
    row("GET /api/v1/ledger", PUBLIC),
    row("GET /api/v1/ledger/verify", PUBLIC),
    row("POST /api/v1/ledger/{id:int}/reverse", OFFICIAL_A, id='ledger_entry', body=b.reverse),
    row("GET /api/v1/ledger/export.json", PUBLIC, query='?incident_id={incident}'),
    row("GET /api/v1/ledger/export.csv", PUBLIC, query='?incident_id={incident}'),
    row("GET /api/v1/export/iati.xml", PUBLIC, query='?incident_id={incident}'),
    row("GET /offers", OFFERING_OR_OFFICIAL),
    row("GET /offers/new", OFFERING),
    row("POST /offers/new", OFFERING),
    row("GET /offers/{id:int}/edit", NGO_A, id='offer'),
    row("POST /offers/{id:int}/edit", NGO_A, id='offer'),
    row("POST /offers/{id:int}/withdraw", NGO_A, id='offer'),
    row("GET /matching", OFFICIAL_A, query='?incident_id={incident}'),
    row("POST /matching", OFFICIAL_A, body=b.incident_only),
    row("GET /matching/runs/{id:int}", OFFICIAL_A, id="run"),
    row("POST /matching/runs/{id:int}/decisions", OFFICIAL_A, id='run', body=b.decide),
    row("POST /matching/matches/{id:int}/{action:str}", OFFICIAL_A, id='match', action='=accept'),
    row("GET /my-matches", OFFERING),
    row("POST /my-matches/{id:int}/fulfil", NGO_A, id='match', body=b.fulfil),
    row("GET /give", DONOR),
    row("POST /give", DONOR),
    row("GET /my-donations", DONOR),
    row("GET /my-donations/{id:int}/receipt.pdf", "L F F A F F F F F A F F", id='donation'),
    row("GET /funds", OFFICIAL_A, query='?incident_id={incident}'),
    row("POST /funds/donations/{id:int}/receive", OFFICIAL_A, id='donation', body=b.receive),
    row("POST /funds/disbursements", OFFICIAL_A, body=b.disbursement_form),
    row("POST /funds/donations/{id:int}/refund", OFFICIAL_A, id='donation', body=refund_form),
    row("POST /funds/receipts", OFFICIAL_A, body=receipt_form),
    row("POST /funds/incidents/{id:int}/instructions", OFFICIAL_A, id='incident',
        body=instructions_form),
    row("GET /funds/disbursements/{id:int}/receipt", "L F F F F F F F F N N F", id='disbursement'),
    row("POST /funds/dont-send", OFFICIAL_A, body=b.dont_send),
    row("POST /funds/dont-send/{id:int}/remove", OFFICIAL_A, id='dont_send'),
    row("POST /funds/ledger/{id:int}/reverse", OFFICIAL_A, id='ledger_entry', body=b.reverse),
    row("GET /incidents/{id:int}/giving", PUBLIC, id='incident'),
    row("GET /ledger", PUBLIC),
    row("GET /api/v1/donations/{id:int}/trail", "A A A A A A A A A A A A", id='donation'),
    row("POST /api/v1/receipts", OFFICIAL_A, body=b.receipt),
    row("GET /api/v1/receipts/verify", "A A A A A A A A A A A A", query='?code=NOSUCHCODE'),
    row("POST /api/v1/donations/{id:int}/refund", OFFICIAL_A, id='donation', body=b.refund),
    row("PUT /api/v1/incidents/{id:int}/payment-instructions", OFFICIAL_A, id='incident',
        body=b.payment_instructions),
    row("GET /api/v1/incidents/{id:int}/payment-instructions", "N N N N N N N N N N N N",
        id='incident'),
    row("GET /donations/{id:int}", "A A A A A A A A A A A A", id='donation'),
    row("GET /receipts/verify", "A A A A A A A A A A A A", query='?code=NOSUCHCODE'),
    row("POST /api/v1/projects/{id:int}/disclosures", OFFICIAL_A, id='project',
        body=b.disclosure),
    row("GET /api/v1/disclosures", "A A A A A A A A A A A A", query='?incident_id={incident}'),
    row("GET /api/v1/disclosures/{id:int}", "N N N N N N N N N N N N", id='=999999'),
    row("GET /incidents/{id:int}/disclosures", "A A A A A A A A A A A A", id='incident'),
    row("POST /projects/{id:int}/disclosures", OFFICIAL_A, id='project', body=b.disclosure),
    row("POST /api/v1/fundraising-activities", OFFICIAL_A, body=fundraising),
    row("GET /api/v1/fundraising-activities", PUBLIC, query='?incident_id={incident}'),
    row("GET /api/v1/fundraising-activities/disclosures", PUBLIC,
        query='?incident_id={incident}'),
    # No activity in the world: officials past the role check find none.
    row("POST /api/v1/fundraising-activities/{id:int}/disclosures", "L F F F F F F F F N N F",
        id='=999999', body=disclosure),
    row("POST /incidents/{id:int}/fundraising-activities", OFFICIAL_A, id='incident',
        body=fundraising_form),
    row("POST /fundraising-activities/{id:int}/disclosures", "L F F F F F F F F N N F",
        id='=999999', body=disclosure),
]
# fmt: on
