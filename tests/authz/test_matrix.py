"""Every route and method × twelve role states answers the outcome its row says, exhaustively.

The routes are read from the app's router, so a route added without a row fails
`test_every_route_has_a_row`. Each request runs in a transaction that rolls back (see
`DryRun`), so every cell meets the same world: side A's incident, need, project, task, shift,
offer, match, donation and so on, which side B and everyone else then try to touch.
"""

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio
from starlette.routing import Mount

from tests.authz import rows_core, rows_donations, rows_recovery, rows_residents, rows_volunteers
from tests.authz.matrix import Row
from tests.authz.world import ROLES, DryRun, World, build_world, database_for_module, make_app

pytestmark = pytest.mark.asyncio

ROWS: list[Row] = [
    *rows_core.ROWS,
    *rows_recovery.ROWS,
    *rows_volunteers.ROWS,
    *rows_donations.ROWS,
    *rows_residents.ROWS,
]
BY_KEY = {r.key: r for r in ROWS}
PARAM = re.compile(r"{(\w+)(?::\w+)?}")


def app_routes(app) -> list[tuple[str, str]]:
    """Every (method, path template) the app answers, HEAD aside (Starlette adds it to GETs)."""

    def walk(routes, prefix=""):
        for route in routes:
            if isinstance(route, Mount) and route.routes:
                yield from walk(route.routes, prefix + route.path)
            elif isinstance(route, Mount):  # an app mounted whole (static files)
                yield "GET", prefix + route.path + "/{path:path}"
            else:
                for method in sorted(route.methods or ()):
                    if method != "HEAD":
                        yield method, prefix + route.path

    return list(dict.fromkeys(walk(app.routes)))


@dataclass
class Matrix:
    app: object
    client: httpx.AsyncClient
    world: World
    csrf: str


@pytest_asyncio.fixture(scope="module")
async def matrix(migrated_url, pg_reset, tmp_path_factory) -> AsyncIterator[Matrix]:
    tmp_path = tmp_path_factory.mktemp("authz")
    url = await database_for_module(migrated_url, pg_reset, tmp_path)
    app = await make_app(url, tmp_path)
    dry_run = DryRun(app.state.database)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            world = await build_world(app, client)
            client.cookies.clear()
            await client.get("/login")
            csrf = client.cookies["csrftoken"]
            dry_run.on = True
            yield Matrix(app, client, world, csrf)


def concrete_path(row: Row, ids: dict) -> str:
    def fill(match: re.Match) -> str:
        key = row.params[match.group(1)]
        return key[1:] if key.startswith("=") else str(ids[key])

    path = PARAM.sub(fill, row.path)
    return path + (row.query.format(**ids) if row.query else "")


def outcome(response: httpx.Response) -> str:
    status = response.status_code
    if status >= 500:
        return "5"
    login = "/login" in response.headers.get("location", "") + response.headers.get(
        "hx-redirect", ""
    )
    if status == 401 or (status in (204, 302, 303, 307) and login):
        return "L"
    return {403: "F", 404: "N"}.get(status, "A")


async def probe(m: Matrix, row: Row, role: str) -> httpx.Response:
    """One cell: bearer tokens for the signed-in (no cookies), a CSRF token for pages' forms."""
    path = concrete_path(row, m.world.ids)
    headers = dict(m.world.headers[role])
    kwargs: dict = {}
    m.client.cookies.clear()
    body = row.body(m.world.ids) if row.body else {}
    if row.files:
        kwargs["files"] = row.files(m.world.ids)
    if row.method in ("POST", "PUT", "PATCH"):
        if path.startswith("/api/") and not row.files:
            kwargs["json"] = body
        elif path.startswith("/api/"):
            kwargs["data"] = {k: str(v) for k, v in body.items()}
        else:
            m.client.cookies.set("csrftoken", m.csrf)
            kwargs["data"] = {"csrftoken": m.csrf, **{k: str(v) for k, v in body.items()}}
    return await m.client.request(row.method, path, headers=headers, **kwargs)


async def observe(m: Matrix, row: Row) -> tuple[str, list[str]]:
    letters, notes = [], []
    for role in ROLES:
        response = await probe(m, row, role)
        letters.append(outcome(response))
        notes.append(f"{role}={response.status_code}")
    return "".join(letters), notes


async def test_every_route_has_a_row(matrix):
    routes = app_routes(matrix.app)
    missing = [f"{m} {p}" for m, p in routes if (m, p) not in BY_KEY]
    stale = [f"{r.method} {r.path}" for r in ROWS if r.key not in set(routes)]
    assert not missing, "routes without a row in tests/authz/rows_*.py:\n" + "\n".join(missing)
    assert not stale, "rows for routes that no longer exist:\n" + "\n".join(stale)
    assert len(ROWS) == len(BY_KEY), "a route has two rows"


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.method} {r.path}")
async def test_route_answers_each_role_as_its_row_says(matrix, row: Row):
    got, notes = await observe(matrix, row)
    wrong = [
        f"{role}: expected {want}, got {have} ({note})"
        for role, want, have, note in zip(ROLES, row.expect, got, notes, strict=True)
        if want != have
    ]
    assert not wrong, f"{row.method} {concrete_path(row, matrix.world.ids)}\n" + "\n".join(wrong)


async def test_matrix_size():
    """The closing note's figure: every row is checked for all twelve role states."""
    assert len(ROWS) * len(ROLES) >= 2_500
