"""Authorization rows for preparedness: teams, zones, deployments, reserves, plans, alerts.

The world holds NGO A's team (deployed on A's incident) and warehouse, a plan and an alert by
official A; the rows send valid bodies, so a refusal comes from who asks, not from a 422."""

from tests.authz import bodies as b
from tests.authz.matrix import NGO_A, OFFICIAL, OFFICIAL_A, PUBLIC, row

TEAM = "L F F F F F F A F F F F"  # a member of the deployed team (NGO A)

# fmt: off
# Columns: an v1 v2 d1 d2 np op nA nB oA oB ad (see tests/authz/matrix.py).
ROWS = [
    row("PUT /api/v1/organizations/{id:int}/team", NGO_A, id='org_ngo_a', body=b.team),
    row("GET /api/v1/organizations/{id:int}/team", PUBLIC, id='org_ngo_a'),
    row("GET /api/v1/teams/capabilities", PUBLIC),
    row("GET /api/v1/teams", OFFICIAL,
        query='?capability=water_rescue&lat=30.6&lon=114.3'),
    row("PUT /api/v1/areas/{id:int}/zone", OFFICIAL_A, id='area', body=b.zone),
    row("POST /api/v1/deployments", OFFICIAL_A, body=b.deployment),
    row("GET /api/v1/deployments", OFFICIAL_A, query='?incident_id={incident}'),
    row("POST /api/v1/deployments/{id:int}/accept", TEAM, id='deployment'),
    row("POST /api/v1/deployments/{id:int}/decline", TEAM, id='deployment'),
    row("POST /api/v1/deployments/{id:int}/check-in", TEAM, id='deployment', body=b.position),
    row("POST /api/v1/deployments/{id:int}/check-out", TEAM, id='deployment',
        body=b.position),
    row("POST /api/v1/deployments/{id:int}/reports", TEAM, id='deployment',
        body=b.daily_report),
    row("POST /api/v1/warehouses", "L F F F F F F A A A A F", body=b.warehouse),
    row("GET /api/v1/warehouses/{id:int}/stock", "L F F F F F F A F A A F", id='warehouse'),
    row("POST /api/v1/warehouses/{id:int}/movements", NGO_A, id='warehouse', body=b.movement),
    row("GET /api/v1/reserves/totals", PUBLIC, query='?incident_id={incident}'),
    row("POST /api/v1/alerts", OFFICIAL_A, body=b.alert),
    row("POST /api/v1/alert-subscriptions", PUBLIC),
    row("POST /api/v1/plans", OFFICIAL, body=b.plan),
    row("GET /api/v1/plans/{id:int}", OFFICIAL, id='plan'),
    row("POST /api/v1/incidents/{id:int}/activate-plan", OFFICIAL_A, id='incident',
        body=b.activate),
    row("GET /api/v1/incidents/{id:int}/after-action", OFFICIAL_A, id='incident'),
    row("GET /alerts", PUBLIC),
    row("GET /alerts.atom", PUBLIC),
    row("GET /alerts/{id:int}.cap", PUBLIC, id='alert'),
    row("GET /alerts/subscriptions/{token:str}", PUBLIC, token='=no-such-token'),
    row("POST /alerts/subscriptions/{token:str}", "N N N N N N N N N N N N",
        token='=no-such-token'),
    row("GET /reserves", PUBLIC),
    row("GET /teams/{id:int}", PUBLIC, id='org_ngo_a'),
    row("GET /incidents/{id:int}/coordination", OFFICIAL_A, id='incident'),
]
# fmt: on
