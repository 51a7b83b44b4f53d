"""Incidents and areas: who may create them, the area hierarchy, validation, audit."""

import pytest
from sqlalchemy import select

from core.models import AuditEntry, OrgKind, Role
from tests.conftest import csrf_token, sign_in

pytestmark = pytest.mark.asyncio


async def test_official_creates_incident_and_lists_it(client, setup):
    assert setup.incident["status"] == "recovery"
    assert setup.incident["time_zone"] == "Asia/Shanghai"
    listed = (await client.get("/api/v1/incidents")).json()
    assert listed["total"] == 1 and listed["items"][0]["name"] == "River Floods"
    one = await client.get(f"/api/v1/incidents/{setup.incident['id']}")
    assert one.json()["description"] == "Floods along the river"


async def test_only_officials_of_verified_government_orgs_create_incidents(client, factory):
    body = {"name": "Quake", "started_on": "2026-10-01"}
    assert (await client.post("/api/v1/incidents", json=body)).status_code == 401
    volunteer = await factory.user(Role.volunteer)
    response = await client.post(
        "/api/v1/incidents", json=body, headers=await factory.token(volunteer)
    )
    assert response.status_code == 403
    ngo = await factory.user(Role.ngo)
    response = await client.post("/api/v1/incidents", json=body, headers=await factory.token(ngo))
    assert response.status_code == 403
    pending = await factory.user(Role.official, verified=False, org="Pending Bureau")
    response = await client.post(
        "/api/v1/incidents", json=body, headers=await factory.token(pending)
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "organization_pending"
    # An "official" whose organization is an NGO is not a government official.
    odd = await factory.user(Role.official, org="Helping Hands", org_kind=OrgKind.ngo)
    response = await client.post("/api/v1/incidents", json=body, headers=await factory.token(odd))
    assert response.status_code == 403


async def test_bad_incident_input_names_the_field(client, setup):
    response = await client.post(
        "/api/v1/incidents",
        json={"name": "X", "started_on": "not a date", "time_zone": "Mars/Base"},
        headers=setup.headers,
    )
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert "started_on" in fields and "time_zone" in fields


async def test_patch_incident_is_audited(client, db, setup):
    response = await client.patch(
        f"/api/v1/incidents/{setup.incident['id']}",
        json={"status": "closed"},
        headers=setup.headers,
    )
    assert response.status_code == 200 and response.json()["status"] == "closed"
    entries = (
        await db.scalars(select(AuditEntry).where(AuditEntry.action == "incident.update"))
    ).all()
    assert entries[0].before["status"] == "recovery" and entries[0].after["status"] == "closed"


async def test_area_levels_follow_the_hierarchy(client, setup):
    assert setup.county["level"] == "county"
    assert setup.township["level"] == "township"
    assert setup.village["level"] == "village"
    response = await client.post(
        "/api/v1/areas",
        json={
            "incident_id": setup.incident["id"],
            "name": "Hamlet",
            "parent_id": setup.village["id"],
            "lat": 30.0,
            "lon": 114.0,
        },
        headers=setup.headers,
    )
    assert response.status_code == 422
    assert "parent_id" in response.json()["error"]["fields"]
    areas = (await client.get(f"/api/v1/areas?incident_id={setup.incident['id']}")).json()
    assert [a["name"] for a in areas["items"]] == [
        "Riverside County",
        "Willow Township",
        "Willow Village",
    ]


@pytest.mark.parametrize(("lat", "lon", "field"), [(91, 10, "lat"), (10, -181, "lon")])
async def test_area_coordinates_are_validated(client, setup, lat, lon, field):
    response = await client.post(
        "/api/v1/areas",
        json={"incident_id": setup.incident["id"], "name": "Bad", "lat": lat, "lon": lon},
        headers=setup.headers,
    )
    assert response.status_code == 422
    assert field in response.json()["error"]["fields"]


async def test_official_manages_incident_in_the_browser(client, factory):
    official = await factory.user(Role.official, org="County Office", email="o@example.org")
    await sign_in(client, "o@example.org")
    token = await csrf_token(client, "/manage/incidents")
    response = await client.post(
        "/manage/incidents",
        data={
            "csrftoken": token,
            "name": "Hill Landslide",
            "started_on": "2026-10-02",
            "status": "response",
            "time_zone": "Asia/Shanghai",
        },
    )
    assert response.status_code == 303
    page = await client.get(response.headers["location"])
    assert "Hill Landslide" in page.text
    incident_id = int(response.headers["location"].rstrip("/").rsplit("/", 1)[1])
    response = await client.post(
        f"/manage/incidents/{incident_id}/areas",
        data={"csrftoken": token, "name": "Hill County", "lat": "30.1", "lon": "114.2"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "Hill County" in response.text and "<html" not in response.text
    bad = await client.post(
        f"/manage/incidents/{incident_id}/areas",
        data={"csrftoken": token, "name": "Nowhere", "lat": "95", "lon": "114.2"},
        headers={"HX-Request": "true"},
    )
    assert bad.status_code == 422
    assert 'aria-invalid="true"' in bad.text
    assert official.id


async def test_management_pages_refuse_volunteers(client, factory):
    await factory.user(Role.volunteer, email="v@example.org")
    await sign_in(client, "v@example.org")
    assert (await client.get("/manage/incidents")).status_code == 403
    assert (await client.get("/supervision")).status_code == 403


async def test_openapi_documents_the_recovery_operations(client):
    spec = (await client.get("/openapi.json")).json()
    paths = spec["paths"]
    for path, method in [
        ("/api/v1/incidents", "post"),
        ("/api/v1/incidents/{id}", "patch"),
        ("/api/v1/areas", "post"),
        ("/api/v1/needs", "get"),
        ("/api/v1/needs/{id}", "patch"),
        ("/api/v1/projects", "post"),
        ("/api/v1/projects/{id}/tasks", "post"),
        ("/api/v1/tasks/{id}", "patch"),
        ("/api/v1/supervision", "get"),
        ("/api/v1/reports", "post"),
        ("/api/v1/reports/{id}/publish", "post"),
        ("/api/v1/needs/import", "post"),
    ]:
        assert method in paths[path], (path, method)
    filters = {p["name"] for p in paths["/api/v1/needs"]["get"]["parameters"]}
    assert {
        "incident_id",
        "area_id",
        "category",
        "priority",
        "status",
        "limit",
        "offset",
    } <= filters
    body = paths["/api/v1/needs"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    need_schema = spec["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    assert {"quantity", "unit", "lat", "lon", "needed_by"} <= set(need_schema["properties"])


async def test_unknown_references_name_their_field(client, setup):
    response = await client.post(
        "/api/v1/areas",
        json={
            "incident_id": setup.incident["id"],
            "name": "X",
            "parent_id": 9999,
            "lat": 1,
            "lon": 1,
        },
        headers=setup.headers,
    )
    assert response.status_code == 422 and "parent_id" in response.json()["error"]["fields"]
    response = await client.post(
        "/api/v1/areas",
        json={"incident_id": 9999, "name": "X", "lat": 1, "lon": 1},
        headers=setup.headers,
    )
    assert response.status_code == 404 and "incident_id" in response.json()["error"]["fields"]
    assert (await client.get("/api/v1/incidents/9999")).status_code == 404
    assert (await client.get("/api/v1/needs/9999")).status_code == 404
    assert (await client.get("/needs/9999")).status_code == 404
