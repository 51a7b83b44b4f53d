"""Authorization rows for residents: help requests, triage, complaints, SMS, surveys."""

from tests.authz import bodies as b
from tests.authz.matrix import OFFICIAL_A, ORGANIZERS, PUBLIC, row

# fmt: off
# Columns: an v1 v2 d1 d2 np op nA nB oA oB ad (see tests/authz/matrix.py).
ROWS = [
    row("POST /api/v1/help-requests", PUBLIC),
    row("POST /api/v1/help-requests/operator", ORGANIZERS),
    row("GET /api/v1/help-requests", "L F F F F F F A A A F F", query='?incident_id={incident}'),
    row("GET /api/v1/help-requests/counts", PUBLIC, query='?incident_id={incident}'),
    row("GET /api/v1/help-requests/track/{token:str}", PUBLIC, token='help_token'),
    row("POST /api/v1/help-requests/track/{token:str}/confirm", PUBLIC, token='help_token'),
    row("POST /api/v1/complaints", PUBLIC),
    row("GET /api/v1/complaints", OFFICIAL_A, query='?incident_id={incident}'),
    row("POST /api/v1/complaints/{id:int}/resolve", "L F F F F F F A F A F F",
        id='complaint', body=b.resolve),
    row("GET /api/v1/complaints/track/{token:str}", PUBLIC, token='complaint_token'),
    row("GET /api/v1/organizations/{id:int}/accountability", PUBLIC, id='org_ngo_a'),
    row("POST /api/v1/sms/inbound", PUBLIC),
    row("POST /api/v1/help-requests/{id:int}/verify", OFFICIAL_A, id='help_request', body=b.verify),
    row("POST /api/v1/help-requests/{id:int}/reject", OFFICIAL_A, id='help_request', body=b.reject),
    row("POST /api/v1/help-requests/{id:int}/merge", OFFICIAL_A, id='help_request', body=b.merge),
    row("POST /api/v1/help-requests/{id:int}/convert", OFFICIAL_A,
        id='help_request', body=b.convert),
    row("POST /api/v1/surveys", OFFICIAL_A, body=b.survey),
    row("GET /api/v1/surveys/{id:int}", PUBLIC, id='survey'),
    row("POST /api/v1/surveys/{id:int}/responses", PUBLIC, id='survey', body=b.survey_response),
    row("GET /api/v1/surveys/{id:int}/results", PUBLIC, id='survey'),
    row("GET /surveys/{id:int}", PUBLIC, id='survey'),
    row("POST /surveys/{id:int}", PUBLIC, id='survey'),
    row("GET /surveys/{id:int}/results", PUBLIC, id='survey'),
    row("GET /api/v1/help-requests/duplicates", "L F F F F F F A A A F F",
        query='?incident_id={incident}&description=roof'),
    row("GET /help/operator", ORGANIZERS),
    row("POST /help/operator", ORGANIZERS),
    row("GET /help/operator/duplicates", "L F F F F F F A A A F F",
        query='?incident_id={incident}&contact_phone=13800000000'),
    row("GET /help-requests", "L F F F F F F A A A F F", query='?incident_id={incident}'),
    # The world's request has no photo: past the check, staff get 404.
    row("GET /help-requests/{id:int}/photo", "L F F F F F F N N N F F", id='help_request'),
    row("POST /help-requests/{id:int}/verify", OFFICIAL_A, id='help_request', body=b.verify),
    row("POST /help-requests/{id:int}/reject", OFFICIAL_A, id='help_request', body=b.reject),
    row("POST /help-requests/{id:int}/merge", OFFICIAL_A, id='help_request', body=b.merge),
    row("POST /help-requests/{id:int}/convert", OFFICIAL_A, id='help_request', body=b.convert),
    row("GET /help", PUBLIC),
    row("POST /help", PUBLIC),
    row("GET /help/track/{token:str}", PUBLIC, token='help_token'),
    row("POST /help/track/{token:str}/confirm", PUBLIC, token='help_token'),
]
# fmt: on
