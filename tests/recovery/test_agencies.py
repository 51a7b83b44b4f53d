"""An incident's lead agency and the agencies it grants: only their officials act on it."""

from datetime import timedelta

import pytest
import pytest_asyncio
from sqlalchemy import func, select

from core import clock
from core.models import OrgKind, Role
from recovery.models import Need
from recovery.service.imports import preview
from tests.conftest import csrf_token, sign_in
from tests.helpers import finished_run
from tests.recovery.test_imports import csv_bytes, good_row

pytestmark = pytest.mark.asyncio
SOON = (clock.today("Asia/Shanghai") + timedelta(days=20)).isoformat()


class Agencies:
    """Agency A (the setup's official) leads the incident; B is another government agency."""

    def __init__(self, setup, factory, app):
        self.setup, self.factory, self.app = setup, factory, app
        self.client = setup.client

    async def start(self):
        self.b = await self.factory.user(
            Role.official, org="Housing Bureau", org_kind=OrgKind.government
        )
        self.b_headers = await self.factory.token(self.b)
        self.need = await self.setup.need()
        self.project = await self.setup.project()
        self.task = await self.setup.task(self.project["id"], self.setup.official.organization_id)
        async with self.app.state.database.transaction() as session:
            job = await preview(
                session,
                incident_id=self.incident_id,
                filename="needs.csv",
                data=csv_bytes([good_row(1)]),
                actor=self.setup.official,
            )
        self.job_id = job.id
        return self

    @property
    def incident_id(self) -> int:
        return self.setup.incident["id"]

    def writes(self) -> list[tuple[str, str, dict]]:
        """Every official's change to the incident and what belongs to it, over the API."""
        return [
            ("PATCH", f"/api/v1/incidents/{self.incident_id}", {"name": "Renamed"}),
            (
                "POST",
                "/api/v1/areas",
                {"incident_id": self.incident_id, "name": "Reed Bend", "lat": 30.6, "lon": 114.3},
            ),
            ("POST", "/api/v1/needs", self.setup.need_body(title="Blankets")),
            ("PATCH", f"/api/v1/needs/{self.need['id']}", {"quantity": 99}),
            ("PATCH", f"/api/v1/projects/{self.project['id']}", {"title": "Renamed"}),
            (
                "POST",
                f"/api/v1/projects/{self.project['id']}/milestones",
                {"title": "Roof on", "due_on": SOON},
            ),
            (
                "POST",
                f"/api/v1/projects/{self.project['id']}/tasks",
                {
                    "title": "Pour the floor",
                    "responsible_org_id": self.setup.official.organization_id,
                    "due_on": SOON,
                },
            ),
            ("PATCH", f"/api/v1/tasks/{self.task['id']}", {"title": "Renamed", "progress": 10}),
            (
                "POST",
                "/api/v1/reports",
                {"incident_id": self.incident_id, "title": "Week 1", "body_markdown": "x"},
            ),
            ("POST", f"/api/v1/imports/{self.job_id}/run", None),
        ]

    async def grant(self, org_id: int, headers=None):
        return await self.client.post(
            f"/api/v1/incidents/{self.incident_id}/agencies",
            json={"organization_id": org_id},
            headers=headers or self.setup.headers,
        )

    async def needs(self) -> int:
        async with self.app.state.database.session() as session:
            return await session.scalar(select(func.count()).select_from(Need))


@pytest_asyncio.fixture
async def agencies(setup, factory, app) -> Agencies:
    return await Agencies(setup, factory, app).start()


async def test_the_creators_agency_leads_the_incident(agencies):
    assert agencies.setup.incident["lead_org_id"] == agencies.setup.official.organization_id
    listed = await agencies.client.get(f"/api/v1/incidents/{agencies.incident_id}/agencies")
    assert listed.json()["items"] == [
        {
            "organization_id": agencies.setup.official.organization_id,
            "name": "Recovery Office",
            "lead": True,
            "granted_by_id": None,
            "granted_at": None,
        }
    ]


async def test_another_agency_cannot_change_the_incident_over_the_api(agencies):
    before = await agencies.needs()
    for method, path, body in agencies.writes():
        response = await agencies.client.request(
            method, path, json=body, headers=agencies.b_headers
        )
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["error"]["code"] == "forbidden"
    uploaded = await agencies.client.post(
        "/api/v1/needs/import",
        data={"incident_id": str(agencies.incident_id)},
        files={"file": ("needs.csv", csv_bytes([good_row(2)]), "text/csv")},
        headers=agencies.b_headers,
    )
    assert uploaded.status_code == 403
    job = await agencies.client.get(
        f"/api/v1/imports/{agencies.job_id}", headers=agencies.b_headers
    )
    assert job.status_code == 403
    assert await agencies.needs() == before
    incident = await agencies.client.get(f"/api/v1/incidents/{agencies.incident_id}")
    assert incident.json()["name"] == "River Floods"


async def test_another_agency_cannot_change_the_incident_in_the_browser(agencies):
    client = agencies.client
    await sign_in(client, agencies.b.email)
    token = await csrf_token(client, "/needs")
    incident_id, need_id = agencies.incident_id, agencies.need["id"]
    assert (await client.get(f"/manage/incidents/{incident_id}")).status_code == 403
    assert (await client.get(f"/needs/{need_id}/edit")).status_code == 403
    posts = [
        (f"/manage/incidents/{incident_id}", {"name": "Renamed"}),
        (f"/manage/incidents/{incident_id}/areas", {"name": "Reed", "lat": "30", "lon": "114"}),
        (f"/needs/{need_id}/edit", {"quantity": "99"}),
        (f"/projects/{agencies.project['id']}/edit", {"title": "Renamed"}),
        (f"/tasks/{agencies.task['id']}", {"title": "Renamed", "status": "in_progress"}),
        (f"/manage/imports/{agencies.job_id}/run", {}),
        (
            f"/manage/incidents/{incident_id}/agencies",
            {"organization_id": str(agencies.b.organization_id)},
        ),
    ]
    for path, data in posts:
        response = await client.post(path, data={"csrftoken": token, **data})
        assert response.status_code == 403, (path, response.text[:300])
    need_page = await client.get(f"/needs/{need_id}")
    assert f"/needs/{need_id}/edit" not in need_page.text
    assert await agencies.needs() == 1


async def test_after_the_lead_grants_it_another_agency_may_act(agencies):
    granted = await agencies.grant(agencies.b.organization_id)
    assert granted.status_code == 201, granted.text
    assert granted.json()["organization_id"] == agencies.b.organization_id
    assert granted.json()["name"] == "Housing Bureau"
    assert granted.json()["granted_by_id"] == agencies.setup.official.id
    again = await agencies.grant(agencies.b.organization_id)
    assert again.status_code == 201
    for method, path, body in agencies.writes():
        response = await agencies.client.request(
            method, path, json=body, headers=agencies.b_headers
        )
        assert response.status_code in (200, 201), (method, path, response.text)
    listed = await agencies.client.get(f"/api/v1/incidents/{agencies.incident_id}/agencies")
    assert [a["name"] for a in listed.json()["items"]] == ["Recovery Office", "Housing Bureau"]


async def test_an_admin_grants_but_a_granted_agency_cannot_grant_further(agencies, factory):
    admin = await factory.user(Role.admin)
    admin_headers = await factory.token(admin)
    assert (await agencies.grant(agencies.b.organization_id, admin_headers)).status_code == 201
    patched = await agencies.client.patch(
        f"/api/v1/incidents/{agencies.incident_id}",
        json={"description": "Updated by the housing bureau"},
        headers=agencies.b_headers,
    )
    assert patched.status_code == 200
    health = await factory.user(Role.official, org="Health Bureau", org_kind=OrgKind.government)
    refused = await agencies.grant(health.organization_id, agencies.b_headers)
    assert refused.status_code == 403


async def test_only_the_lead_or_an_admin_grants_and_only_a_verified_government_agency(
    agencies, factory
):
    b_org = agencies.b.organization_id
    # B grants itself: refused.
    assert (await agencies.grant(b_org, agencies.b_headers)).status_code == 403
    ngo = await factory.user(Role.ngo, org="Red Cross")
    ngo_headers = await factory.token(ngo)
    assert (await agencies.grant(b_org, ngo_headers)).status_code == 403
    anonymous = await agencies.client.post(
        f"/api/v1/incidents/{agencies.incident_id}/agencies", json={"organization_id": b_org}
    )
    assert anonymous.status_code == 401
    unknown_incident = await agencies.client.post(
        "/api/v1/incidents/999/agencies",
        json={"organization_id": b_org},
        headers=agencies.setup.headers,
    )
    assert unknown_incident.status_code == 404
    unknown_org = await agencies.grant(9999)
    assert unknown_org.status_code == 404
    assert "organization_id" in unknown_org.json()["error"]["fields"]
    not_government = await agencies.grant(ngo.organization_id)
    assert not_government.status_code == 422
    assert "organization_id" in not_government.json()["error"]["fields"]
    pending = await factory.user(
        Role.official, org="New Bureau", org_kind=OrgKind.government, verified=False
    )
    assert (await agencies.grant(pending.organization_id)).status_code == 422
    lead = await agencies.grant(agencies.setup.official.organization_id)
    assert lead.status_code == 422
    # Nothing was granted: B still may not act.
    response = await agencies.client.patch(
        f"/api/v1/needs/{agencies.need['id']}", json={"quantity": 5}, headers=agencies.b_headers
    )
    assert response.status_code == 403


async def test_the_lead_grants_an_agency_on_the_incident_page(agencies, factory):
    client = agencies.client
    ngo = await factory.user(Role.ngo, org="Red Cross")
    await sign_in(client, agencies.setup.official.email)
    page = await client.get(f"/manage/incidents/{agencies.incident_id}")
    assert page.status_code == 200
    assert "Housing Bureau" in page.text and "Red Cross" not in page.text
    token = client.cookies["csrftoken"]
    url = f"/manage/incidents/{agencies.incident_id}/agencies"
    bad = await client.post(
        url,
        data={"csrftoken": token, "organization_id": str(ngo.organization_id)},
        headers={"HX-Request": "true"},
    )
    assert bad.status_code == 422
    assert 'id="agencies"' in bad.text and "not a verified government agency" in bad.text
    done = await client.post(
        url,
        data={"csrftoken": token, "organization_id": str(agencies.b.organization_id)},
        headers={"HX-Request": "true"},
    )
    assert done.status_code == 200
    assert "Housing Bureau" in done.text and "<html" not in done.text
    plain = await client.post(
        url, data={"csrftoken": token, "organization_id": str(agencies.b.organization_id)}
    )
    assert plain.status_code == 303
    patched = await client.patch(
        f"/api/v1/needs/{agencies.need['id']}", json={"quantity": 5}, headers=agencies.b_headers
    )
    assert patched.status_code == 200


async def test_another_agency_cannot_run_money_matching_or_shifts_on_the_incident(
    agencies, factory, app
):
    client, incident_id = agencies.client, agencies.incident_id
    donor = await factory.user(Role.donor)
    donor_headers = await factory.token(donor)
    pledged = await client.post(
        "/api/v1/donations",
        json={"incident_id": incident_id, "amount_minor": 50_000, "currency": "CNY"},
        headers=donor_headers | {"Idempotency-Key": "gift-1"},
    )
    donation_id = pledged.json()["id"]
    ngo = await factory.user(Role.ngo, org="Red Cross")
    offered = await client.post(
        "/api/v1/offers",
        json={
            "incident_id": incident_id,
            "category": "shelter",
            "quantity": 40,
            "unit": "tents",
            "lat": 30.63,
            "lon": 114.33,
            "radius_km": 50,
            "available_from": clock.today("Asia/Shanghai").isoformat(),
            "available_until": SOON,
        },
        headers=await factory.token(ngo),
    )
    assert offered.status_code == 201, offered.text
    run = await client.post(
        "/api/v1/matching/runs", json={"incident_id": incident_id}, headers=agencies.setup.headers
    )
    run = await finished_run(client, app, run, headers=agencies.setup.headers)
    proposal_id = run["proposals"][0]["id"]
    start = clock.utcnow().replace(microsecond=0) + timedelta(days=2)
    refused = [
        ("/api/v1/matching/runs", {"incident_id": incident_id}),
        (f"/api/v1/matches/{proposal_id}/accept", None),
        (f"/api/v1/matches/{proposal_id}/decline", None),
        (f"/api/v1/donations/{donation_id}/receive", {"reference": "BANK-1"}),
        (
            "/api/v1/disbursements",
            {
                "incident_id": incident_id,
                "amount_minor": 100,
                "currency": "CNY",
                "description": "Tarpaulins",
            },
        ),
        (
            "/api/v1/dont-send",
            {"incident_id": incident_id, "category": "food", "label": "Rice", "reason": "Full"},
        ),
        (
            "/api/v1/shifts",
            {
                "incident_id": incident_id,
                "title": "Sandbags",
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(hours=4)).isoformat(),
                "lat": 30.0,
                "lon": 114.0,
                "capacity": 5,
                "skills": [],
            },
        ),
    ]
    for path, body in refused:
        response = await client.post(path, json=body, headers=agencies.b_headers)
        assert response.status_code == 403, (path, response.text)
    received = await client.post(
        f"/api/v1/donations/{donation_id}/receive",
        json={"reference": "BANK-1"},
        headers=agencies.setup.headers,
    )
    assert received.status_code == 200
    accepted = await client.post(
        f"/api/v1/matches/{proposal_id}/accept", headers=agencies.setup.headers
    )
    assert accepted.status_code == 200


async def _audit_actions(app) -> list[tuple[str, dict | None]]:
    from core.models import AuditEntry

    async with app.state.database.session() as session:
        rows = await session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action.like("incident.agency_%"))
            .order_by(AuditEntry.id)
        )
        return [(row.action, row.before) for row in rows]


async def test_the_lead_revokes_a_grant_and_the_agency_may_no_longer_act(agencies, app):
    b_org = agencies.b.organization_id
    assert (await agencies.grant(b_org)).status_code == 201
    url = f"/api/v1/incidents/{agencies.incident_id}/agencies/{b_org}"
    patched = await agencies.client.patch(
        f"/api/v1/needs/{agencies.need['id']}", json={"quantity": 5}, headers=agencies.b_headers
    )
    assert patched.status_code == 200
    revoked = await agencies.client.delete(url, headers=agencies.setup.headers)
    assert revoked.status_code == 204 and revoked.content == b""
    for method, path, body in agencies.writes():
        response = await agencies.client.request(
            method, path, json=body, headers=agencies.b_headers
        )
        assert response.status_code == 403, (method, path, response.text)
    listed = await agencies.client.get(f"/api/v1/incidents/{agencies.incident_id}/agencies")
    assert [a["name"] for a in listed.json()["items"]] == ["Recovery Office"]
    actions = await _audit_actions(app)
    assert [a for a, _ in actions] == ["incident.agency_grant", "incident.agency_revoke"]
    assert actions[1][1]["organization_id"] == b_org
    # Revoked already: nothing to revoke.
    again = await agencies.client.delete(url, headers=agencies.setup.headers)
    assert again.status_code == 404 and "organization_id" in again.json()["error"]["fields"]
    # Granting again works after a revocation.
    assert (await agencies.grant(b_org)).status_code == 201


async def test_who_may_revoke_and_what_cannot_be_revoked(agencies, factory, app):
    b_org = agencies.b.organization_id
    lead_org = agencies.setup.official.organization_id
    health = await factory.user(Role.official, org="Health Bureau", org_kind=OrgKind.government)
    assert (await agencies.grant(b_org)).status_code == 201
    assert (await agencies.grant(health.organization_id)).status_code == 201
    base = f"/api/v1/incidents/{agencies.incident_id}/agencies"
    client = agencies.client
    assert (await client.delete(f"{base}/{health.organization_id}")).status_code == 401
    # A granted agency cannot revoke another, nor itself; NGOs and volunteers cannot either.
    assert (
        await client.delete(f"{base}/{health.organization_id}", headers=agencies.b_headers)
    ).status_code == 403
    assert (await client.delete(f"{base}/{b_org}", headers=agencies.b_headers)).status_code == 403
    ngo = await factory.user(Role.ngo, org="Red Cross")
    volunteer = await factory.user(Role.volunteer)
    for user in (ngo, volunteer):
        response = await client.delete(f"{base}/{b_org}", headers=await factory.token(user))
        assert response.status_code == 403
    # The lead agency stays: 409, naming the organization.
    lead = await client.delete(f"{base}/{lead_org}", headers=agencies.setup.headers)
    assert lead.status_code == 409 and "organization_id" in lead.json()["error"]["fields"]
    # Unknown incident, unknown or never-granted organization, id out of range: 404.
    unknown = await client.delete(
        f"/api/v1/incidents/999/agencies/{b_org}", headers=agencies.setup.headers
    )
    assert unknown.status_code == 404
    assert (await client.delete(f"{base}/9999", headers=agencies.setup.headers)).status_code == 404
    assert (
        await client.delete(f"{base}/{2**63}", headers=agencies.setup.headers)
    ).status_code == 404
    assert [a for a, _ in await _audit_actions(app)] == ["incident.agency_grant"] * 2
    # An admin revokes.
    admin = await factory.user(Role.admin)
    by_admin = await client.delete(f"{base}/{b_org}", headers=await factory.token(admin))
    assert by_admin.status_code == 204
    listed = await client.get(base)
    assert [a["name"] for a in listed.json()["items"]] == ["Recovery Office", "Health Bureau"]


async def test_the_lead_revokes_an_agency_on_the_incident_page(agencies):
    client = agencies.client
    b_org = agencies.b.organization_id
    assert (await agencies.grant(b_org)).status_code == 201
    await sign_in(client, agencies.setup.official.email)
    page = await client.get(f"/manage/incidents/{agencies.incident_id}")
    url = f"/manage/incidents/{agencies.incident_id}/agencies/{b_org}/revoke"
    assert url in page.text
    token = client.cookies["csrftoken"]
    done = await client.post(url, data={"csrftoken": token}, headers={"HX-Request": "true"})
    assert done.status_code == 200, done.text
    assert 'id="agencies"' in done.text and "<html" not in done.text
    assert "Housing Bureau" not in done.text.split('id="agencies"')[1].split("<form")[0]
    assert "may no longer act" in done.text
    patched = await client.patch(
        f"/api/v1/needs/{agencies.need['id']}", json={"quantity": 5}, headers=agencies.b_headers
    )
    assert patched.status_code == 403
    missing = await client.post(url, data={"csrftoken": token})
    assert missing.status_code == 404
    assert (await agencies.grant(b_org)).status_code == 201
    plain = await client.post(url, data={"csrftoken": token})
    assert plain.status_code == 303


async def test_a_granted_agency_sees_no_revoke_button_and_cannot_post_one(agencies):
    client = agencies.client
    b_org = agencies.b.organization_id
    assert (await agencies.grant(b_org)).status_code == 201
    await sign_in(client, agencies.b.email)
    page = await client.get(f"/manage/incidents/{agencies.incident_id}")
    assert page.status_code == 200 and "/revoke" not in page.text
    token = client.cookies["csrftoken"]
    url = f"/manage/incidents/{agencies.incident_id}/agencies/{b_org}/revoke"
    assert (await client.post(url, data={"csrftoken": token})).status_code == 403
