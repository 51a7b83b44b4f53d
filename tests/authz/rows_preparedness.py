"""Authorization rows for preparedness: teams, zones, deployments, reserves, plans, alerts.

Every row names side A's real objects (tests/authz/world_preparedness.py) and sends a valid
body, so a refusal comes from who is asking: NGO B against NGO A's team, deployment and
warehouse, official B against agency A's incident."""

from tests.authz import world_preparedness as p
from tests.authz.matrix import NGO_A, OFFICIAL, OFFICIAL_A, PUBLIC, row

# fmt: off
# Columns: an v1 v2 d1 d2 np op nA nB oA oB ad (see tests/authz/matrix.py).
ROWS = [
    row("PUT /api/v1/organizations/{id:int}/team", NGO_A, id='org_ngo_a', body=p.team),
    row("GET /api/v1/organizations/{id:int}/team", PUBLIC, id='org_ngo_a'),
    row("GET /api/v1/teams/capabilities", PUBLIC),
    row("GET /api/v1/teams", OFFICIAL_A,
        query='?capability=collapsed_structure_sar&incident_id={incident}'),
    row("PUT /api/v1/areas/{id:int}/zone", OFFICIAL_A, id='area', body=p.zone),
    row("POST /api/v1/deployments", OFFICIAL_A, body=p.deployment),
    row("GET /api/v1/deployments", OFFICIAL_A, query='?incident_id={incident}'),
    row("POST /api/v1/deployments/{id:int}/accept", NGO_A, id='deployment'),
    row("POST /api/v1/deployments/{id:int}/decline", NGO_A, id='deployment'),
    row("POST /api/v1/deployments/{id:int}/check-in", NGO_A, id='deployment', body=p.position),
    row("POST /api/v1/deployments/{id:int}/check-out", NGO_A, id='deployment', body=p.position),
    row("POST /api/v1/deployments/{id:int}/reports", NGO_A, id='deployment',
        body=p.daily_report),
    row("POST /api/v1/warehouses", "L F F F F F F A A A A F", body=p.warehouse),
    row("GET /api/v1/warehouses/{id:int}/stock", "L F F F F F F A F A A F", id='warehouse'),
    row("POST /api/v1/warehouses/{id:int}/movements", NGO_A, id='warehouse', body=p.receive),
    row("GET /api/v1/reserves/totals", PUBLIC),
    row("POST /api/v1/alerts", OFFICIAL_A, body=p.alert),
    row("POST /api/v1/alert-subscriptions", PUBLIC, body=p.subscription),
    row("POST /api/v1/plans", OFFICIAL, body=p.plan),
    row("GET /api/v1/plans", OFFICIAL),
    row("GET /api/v1/plans/{id:int}", OFFICIAL, id='plan'),
    row("POST /api/v1/incidents/{id:int}/activate-plan", OFFICIAL_A, id='incident',
        body=p.activate),
    row("GET /api/v1/incidents/{id:int}/after-action", OFFICIAL_A, id='incident'),
    row("GET /alerts", PUBLIC),
    row("POST /alerts", PUBLIC, body=p.subscription),
    row("GET /alerts.atom", PUBLIC),
    row("GET /alerts/{id:int}.cap", PUBLIC, id='alert'),
    row("GET /alerts/subscriptions/{token:str}", PUBLIC, token='subscription_token'),
    row("POST /alerts/subscriptions/{token:str}", PUBLIC, token='subscription_token'),
    row("GET /alerts/unsubscribe/{token:str}", PUBLIC, token='unsubscribe_token'),
    row("POST /alerts/unsubscribe/{token:str}", PUBLIC, token='unsubscribe_token'),
    row("GET /reserves", PUBLIC),
    row("GET /teams/{id:int}", PUBLIC, id='org_ngo_a'),
    row("GET /incidents/{id:int}/coordination", OFFICIAL_A, id='incident'),
    row("GET /plans", OFFICIAL),
    row("GET /plans/new", OFFICIAL),
    row("POST /plans/new", OFFICIAL, body=p.plan_form),
    row("GET /plans/{id:int}", OFFICIAL, id='plan'),
    row("GET /incidents/{id:int}/plans", OFFICIAL_A, id='incident'),
    row("POST /incidents/{id:int}/plans", OFFICIAL_A, id='incident', body=p.activate_form),
]
# fmt: on
