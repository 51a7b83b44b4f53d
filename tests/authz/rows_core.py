"""Authorization rows for the kernel: health, the API document, static files, accounts, admin."""

from tests.authz.matrix import ADMIN, PUBLIC, SIGNED_IN, row

# fmt: off
# Columns: an v1 v2 d1 d2 np op nA nB oA oB ad (see tests/authz/matrix.py).
ROWS = [
    row("GET /healthz", PUBLIC),
    row("GET /readyz", PUBLIC),
    # Without COMMONS_METRICS_TOKEN, /metrics is not served (tests/core/test_metrics_workers.py).
    row("GET /metrics", "N N N N N N N N N N N N"),
    row("GET /openapi.json", PUBLIC),
    row("GET /static/{path:path}", PUBLIC, path='=css/app.css'),
    row("DELETE /api/v1/{rest:path}", "N N N N N N N N N N N N", rest='=no/such/operation'),
    row("GET /api/v1/{rest:path}", "N N N N N N N N N N N N", rest='=no/such/operation'),
    row("PATCH /api/v1/{rest:path}", "N N N N N N N N N N N N", rest='=no/such/operation'),
    row("POST /api/v1/{rest:path}", "N N N N N N N N N N N N", rest='=no/such/operation'),
    row("PUT /api/v1/{rest:path}", "N N N N N N N N N N N N", rest='=no/such/operation'),
    row("POST /api/v1/auth/register", PUBLIC),
    row("POST /api/v1/auth/token", PUBLIC),
    row("DELETE /api/v1/auth/token", SIGNED_IN),
    row("GET /api/v1/auth/me", SIGNED_IN),
    row("POST /api/v1/auth/password-reset", PUBLIC),
    row("POST /api/v1/auth/password-reset/confirm", PUBLIC),
    row("GET /api/v1/organizations", PUBLIC),
    row("POST /api/v1/organizations/{id:int}/verify", ADMIN, id='org_ngo_pending'),
    row("GET /login", PUBLIC),
    row("POST /login", PUBLIC),
    row("POST /logout", PUBLIC),
    row("GET /register", PUBLIC),
    row("POST /register", PUBLIC),
    row("GET /account", SIGNED_IN),
    row("POST /language", PUBLIC),
    row("POST /account/time-zone", SIGNED_IN),
    row("POST /account/organization", "L F F F F A A F F F F F",
        body=lambda i: {"registration_number": "52110000MJ0000"}),
    row("GET /password-reset", PUBLIC),
    row("POST /password-reset", PUBLIC),
    row("GET /password-reset/{token}", PUBLIC, token='=not-a-token'),
    row("POST /password-reset/{token}", PUBLIC, token='=not-a-token'),
    row("GET /admin/organizations", ADMIN),
    row("POST /admin/organizations/{id:int}/verify", ADMIN, id='org_ngo_pending'),
    # No document in the world: the administrator is past the check and finds none.
    row("GET /admin/organizations/{id:int}/documents/{doc_id:int}", "L F F F F F F F F F F N",
        id='org_ngo_pending', doc_id='=1'),
    row("GET /admin/users", ADMIN),
    row("POST /admin/users/{id:int}/active", ADMIN, id='user_volunteer1'),
    row("GET /admin/audit", ADMIN),
    # The world has no failed job: past the check, an admin is told there is none to retry.
    row("GET /admin/jobs", ADMIN),
    row("POST /admin/jobs/{id:int}/retry", "L F F F F F F F F F F N", id='=999999'),
    row("GET /api/v1/admin/jobs/failed", ADMIN),
    row("POST /api/v1/admin/jobs/failed/{id:int}/retry", "L F F F F F F F F F F N", id='=999999'),
]
# fmt: on
