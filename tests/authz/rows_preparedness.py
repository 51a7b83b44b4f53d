"""Authorization rows for preparedness: teams, zones, deployments, reserves, plans, alerts.

The matrix's world holds no team, deployment, warehouse, plan or alert, so rows naming one ask
for a missing object: the row still proves who is refused before the lookup (anonymous, the
wrong role) and that nobody past it sees anything. tests/preparedness covers the objects."""

from tests.authz.matrix import row

MISSING = "=999999"

# fmt: off
# Columns: an v1 v2 d1 d2 np op nA nB oA oB ad (see tests/authz/matrix.py).
ROWS = [
    row("PUT /api/v1/organizations/{id:int}/team", "L F F F F F F A A A A F", id='org_ngo_a'),
    row("GET /api/v1/organizations/{id:int}/team", "N N N N N N N N N N N N", id='org_ngo_a'),
    row("GET /api/v1/teams/capabilities", "A A A A A A A A A A A A"),
    row("GET /api/v1/teams", "L F F F F F F F F A A F",
        query='?capability=water_rescue&lat=30.6&lon=114.3'),
    row("PUT /api/v1/areas/{id:int}/zone", "L F F F F F F F F A A F", id='area'),
    row("POST /api/v1/deployments", "L F F F F F F F F A A F"),
    row("GET /api/v1/deployments", "L F F F F F F F F A F F", query='?incident_id={incident}'),
    row("POST /api/v1/deployments/{id:int}/accept", "L F F F F F F N N N N F", id=MISSING),
    row("POST /api/v1/deployments/{id:int}/decline", "L F F F F F F N N N N F", id=MISSING),
    row("POST /api/v1/deployments/{id:int}/check-in", "L F F F F F F A A A A F", id=MISSING),
    row("POST /api/v1/deployments/{id:int}/check-out", "L F F F F F F N N N N F", id=MISSING),
    row("POST /api/v1/deployments/{id:int}/reports", "L F F F F F F A A A A F", id=MISSING),
    row("POST /api/v1/warehouses", "L F F F F F F A A A A F"),
    row("GET /api/v1/warehouses/{id:int}/stock", "L F F F F F F N N N N F", id=MISSING),
    row("POST /api/v1/warehouses/{id:int}/movements", "L F F F F F F A A A A F", id=MISSING),
    row("GET /api/v1/reserves/totals", "A A A A A A A A A A A A", query='?incident_id={incident}'),
    row("POST /api/v1/alerts", "L F F F F F F F F A A F"),
    row("POST /api/v1/alert-subscriptions", "A A A A A A A A A A A A"),
    row("POST /api/v1/plans", "L F F F F F F F F A A F"),
    row("GET /api/v1/plans/{id:int}", "L F F F F F F F F N N F", id=MISSING),
    row("POST /api/v1/incidents/{id:int}/activate-plan", "L F F F F F F F F A A F", id='incident'),
    row("GET /api/v1/incidents/{id:int}/after-action", "L F F F F F F F F A F F", id='incident'),
    row("GET /alerts", "A A A A A A A A A A A A"),
    row("GET /alerts.atom", "A A A A A A A A A A A A"),
    row("GET /alerts/{id:int}.cap", "N N N N N N N N N N N N", id=MISSING),
    row("GET /alerts/subscriptions/{token:str}", "A A A A A A A A A A A A", token='=no-such-token'),
    row("POST /alerts/subscriptions/{token:str}", "N N N N N N N N N N N N",
        token='=no-such-token'),
    row("GET /reserves", "A A A A A A A A A A A A"),
    row("GET /teams/{id:int}", "N N N N N N N N N N N N", id=MISSING),
    row("GET /incidents/{id:int}/coordination", "L F F F F F F F F A F F", id='incident'),
]
# fmt: on
