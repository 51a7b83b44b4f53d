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

from tests.authz import bodies as b
from tests.authz import (
    rows_core,
    rows_donations,
    rows_preparedness,
    rows_recovery,
    rows_residents,
    rows_volunteers,
)
from tests.authz.matrix import Row
from tests.authz.world import ROLES, DryRun, World, build_world, database_for_module, make_app

pytestmark = pytest.mark.asyncio

ROWS: list[Row] = [
    *rows_core.ROWS,
    *rows_recovery.ROWS,
    *rows_volunteers.ROWS,
    *rows_donations.ROWS,
    *rows_residents.ROWS,
    *rows_preparedness.ROWS,
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
    writes = matrix.app.state.safe_methods.seen
    before = len(writes)
    got, notes = await observe(matrix, row)
    # A GET writes nothing, for any caller, unless core.safe_methods declares the route.
    assert writes[before:] == [], f"{row.method} {row.path} wrote: {writes[before:]}"
    wrong = [
        f"{role}: expected {want}, got {have} ({note})"
        for role, want, have, note in zip(ROLES, row.expect, got, notes, strict=True)
        if want != have
    ]
    assert not wrong, f"{row.method} {concrete_path(row, matrix.world.ids)}\n" + "\n".join(wrong)


async def test_matrix_size():
    """The closing note's figure: every row is checked for all twelve role states."""
    assert len(ROWS) * len(ROLES) >= 2_500


# ---- object-level checks, spelled out: side B (and the other person) against side A's objects


async def _as(m: Matrix, role: str, method: str, path: str, json: dict | None = None):
    m.client.cookies.clear()
    return await m.client.request(method, path, headers=m.world.headers[role], json=json)


async def test_a_member_of_b_cannot_touch_as_offer_task_shift_match_or_attendance(matrix):
    ids = matrix.world.ids
    attempts = [
        ("GET", f"/offers/{ids['offer']}/edit", None),
        ("PATCH", f"/api/v1/offers/{ids['offer']}", {"quantity": 1}),
        ("POST", f"/api/v1/offers/{ids['offer']}/withdraw", None),
        ("PATCH", f"/api/v1/tasks/{ids['task']}", {"status": "done", "progress": 100}),
        ("PATCH", f"/api/v1/shifts/{ids['shift_open']}", {"title": "Taken over"}),
        ("POST", f"/api/v1/shifts/{ids['shift_open']}/cancel", None),
        ("GET", f"/api/v1/shifts/{ids['shift']}/signups", None),
        ("GET", f"/volunteers/shifts/{ids['shift']}/edit", None),
        ("POST", f"/api/v1/matches/{ids['match']}/fulfil", {"quantity": 1}),
        ("POST", f"/api/v1/shifts/{ids['shift']}/attendance", b.attendance(ids)),
    ]
    for method, path, body in attempts:
        response = await _as(matrix, "ngo_b", method, path, body)
        assert response.status_code in (403, 404), (method, path, response.text)
        assert "NGO A's tents" not in response.text and "volunteer1@" not in response.text


async def test_a_donor_cannot_read_another_donors_pledge_or_donation(matrix):
    ids = matrix.world.ids
    for path in (f"/api/v1/offers/{ids['pledge']}", f"/offers/{ids['pledge']}/edit"):
        response = await _as(matrix, "donor2", "GET", path)
        assert response.status_code == 403, path
        assert "Tents in my garage" not in response.text and "30.0456" not in response.text
    listed = (await _as(matrix, "donor2", "GET", "/api/v1/donations")).json()
    assert ids["donation"] not in [item["id"] for item in listed["items"]]
    offers = (await _as(matrix, "donor2", "GET", "/api/v1/offers")).json()
    assert ids["pledge"] not in [item["id"] for item in offers["items"]]
    receipt = await _as(matrix, "donor2", "GET", f"/my-donations/{ids['donation']}/receipt.pdf")
    assert receipt.status_code == 403
    mine = await _as(matrix, "donor1", "GET", f"/my-donations/{ids['donation']}/receipt.pdf")
    assert mine.status_code == 200 and mine.content.startswith(b"%PDF")


async def test_another_agencys_official_cannot_read_a_donors_receipt(matrix):
    ids = matrix.world.ids
    path = f"/my-donations/{ids['donation']}/receipt.pdf"
    assert (await _as(matrix, "official_b", "GET", path)).status_code == 403
    assert (await _as(matrix, "official_a", "GET", path)).status_code == 200


async def test_a_volunteer_reads_only_their_own_profile_calendar_and_export(matrix):
    ids = matrix.world.ids
    export = await _as(matrix, "volunteer2", "GET", "/api/v1/volunteers/me/export")
    assert export.status_code == 200
    assert "volunteer2@authz.org" in export.text and "volunteer1@authz.org" not in export.text
    profile = (await _as(matrix, "volunteer2", "GET", "/api/v1/volunteers/me")).json()
    assert profile.get("user_id", ids["user_volunteer2"]) == ids["user_volunteer2"]
    page = await _as(matrix, "volunteer2", "GET", "/volunteers/me/export.json")
    assert "volunteer1@authz.org" not in page.text
    roster = await _as(matrix, "volunteer2", "GET", f"/api/v1/shifts/{ids['shift']}/signups")
    assert roster.status_code == 403
    # A calendar feed opens only by its own secret token; a guessed one opens nothing.
    guessed = await _as(matrix, "volunteer2", "GET", "/api/v1/volunteers/calendar/guess.ics")
    assert guessed.status_code == 404
    certificate = await _as(matrix, "volunteer2", "GET", "/api/v1/volunteers/me/certificate.pdf")
    assert certificate.status_code == 409  # volunteer 1's attended hours are not theirs


# Page forms whose path names an object of side A.
PAGE_FORMS = [r for r in ROWS if r.method == "POST" and not r.path.startswith("/api/") and r.params]


@pytest.mark.parametrize("row", PAGE_FORMS, ids=lambda r: f"{r.method} {r.path}")
async def test_a_page_form_refuses_the_wrong_caller_before_reading_the_form(matrix, row: Row):
    """An empty or broken form must not bring side A's page back to someone refused with a
    valid one: a re-rendered form (422) carries the page's context, the desk or the incident."""
    bare = Row(row.method, row.path, row.expect, row.params, row.query, None, None)
    wrong = []
    for role, want in zip(ROLES, row.expect, strict=True):
        if want in "FN":
            response = await probe(matrix, bare, role)
            if response.status_code not in (403, 404):
                wrong.append(f"{role}: {response.status_code}")
    assert not wrong, f"{row.method} {concrete_path(row, matrix.world.ids)}: " + ", ".join(wrong)


async def test_another_agencys_official_sees_no_draft_desk_or_donation_of_a(matrix):
    ids = matrix.world.ids
    drafts = await _as(matrix, "official_b", "GET", "/api/v1/reports?status=draft")
    assert drafts.status_code == 200
    assert ids["report"] not in [item["id"] for item in drafts.json()["items"]]
    path = f"/api/v1/reports?incident_id={ids['incident']}"
    listed = await _as(matrix, "official_b", "GET", path)
    assert ids["report"] not in [item["id"] for item in listed.json()["items"]]
    mine = await _as(matrix, "official_a", "GET", "/api/v1/reports?status=draft")
    assert ids["report"] in [item["id"] for item in mine.json()["items"]]
    # The desks open on an incident of the official's own agency; B's agency has none.
    for path in ("/matching", "/funds"):
        page = await _as(matrix, "official_b", "GET", path)
        assert page.status_code == 200, path
        assert "River floods" not in page.text and "NGO A" not in page.text, path
        assert "River floods" in (await _as(matrix, "official_a", "GET", path)).text, path
    donations = (await _as(matrix, "official_b", "GET", "/api/v1/donations")).json()
    assert donations["total"] == 0 and donations["items"] == []
    theirs = (await _as(matrix, "official_a", "GET", "/api/v1/donations")).json()
    assert ids["donation"] in [item["id"] for item in theirs["items"]]
