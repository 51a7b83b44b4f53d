"""The issue's "done when", over the API: from an incident to a report in the Atom feed."""

import csv
import io
from datetime import timedelta

import feedparser
import pytest

from core import clock
from core.models import OrgKind, Role

pytestmark = pytest.mark.asyncio


async def test_official_runs_a_recovery_from_incident_to_published_report(client, factory):
    official = await factory.user(Role.official, org="County Office", org_kind=OrgKind.government)
    builder = await factory.user(Role.ngo, org="River Builders")
    headers, builder_headers = await factory.token(official), await factory.token(builder)
    today = clock.today("Asia/Shanghai")

    async def post(path, body, who=headers, status=201):
        response = await client.post(path, json=body, headers=who)
        assert response.status_code == status, response.text
        return response.json()

    incident = await post(
        "/api/v1/incidents",
        {
            "name": "Valley Floods",
            "started_on": str(today - timedelta(days=20)),
            "time_zone": "Asia/Shanghai",
            "status": "recovery",
        },
    )
    county = await post(
        "/api/v1/areas",
        {"incident_id": incident["id"], "name": "Valley County", "lat": 29.1, "lon": 110.4},
    )
    township = await post(
        "/api/v1/areas",
        {
            "incident_id": incident["id"],
            "name": "Oak Township",
            "lat": 29.2,
            "lon": 110.5,
            "parent_id": county["id"],
        },
    )
    need = await post(
        "/api/v1/needs",
        {
            "incident_id": incident["id"],
            "area_id": township["id"],
            "title": "Clean water",
            "category": "water_sanitation",
            "quantity": 100,
            "unit": "tanks",
            "priority": "critical",
            "needed_by": str(today - timedelta(days=1)),
            "lat": 29.2,
            "lon": 110.5,
        },
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["title", "category", "quantity", "unit", "priority", "needed_by", "area"])
    writer.writerow(["Blankets", "shelter", 300, "blankets", "high", str(today), "Oak Township"])
    job = await client.post(
        "/api/v1/needs/import",
        data={"incident_id": str(incident["id"])},
        files={"file": ("needs.csv", buffer.getvalue().encode(), "text/csv")},
        headers=headers,
    )
    assert job.json()["status"] == "ready"
    ran = await client.post(f"/api/v1/imports/{job.json()['id']}/run", headers=headers)
    assert ran.json()["created_count"] == 1
    needs = (await client.get(f"/api/v1/needs?incident_id={incident['id']}")).json()
    assert needs["total"] == 2

    project = await post(
        "/api/v1/projects",
        {
            "incident_id": incident["id"],
            "area_id": township["id"],
            "title": "Water works",
            "lead_org_id": official.organization_id,
            "budget_minor": 5_000_000,
            "currency": "CNY",
            "starts_on": str(today - timedelta(days=10)),
            "due_on": str(today + timedelta(days=60)),
        },
    )
    late = await post(
        f"/api/v1/projects/{project['id']}/tasks",
        {
            "title": "Repair pumps",
            "responsible_org_id": builder.organization_id,
            "due_on": str(today - timedelta(days=2)),
        },
    )
    updated = await client.patch(
        f"/api/v1/tasks/{late['id']}", json={"progress": 40}, headers=builder_headers
    )
    assert updated.json()["status"] == "in_progress"
    assert (await client.get(f"/api/v1/projects/{project['id']}")).json()["progress"] == 40

    board = (
        await client.get(f"/api/v1/supervision?incident_id={incident['id']}", headers=headers)
    ).json()
    groups = {g["organization_name"]: g for g in board["organizations"]}
    assert groups["River Builders"]["counts"]["overdue_tasks"] == 1
    assert [n["id"] for n in groups["County Office"]["overdue_needs"]] == [need["id"]]

    report = await post(
        "/api/v1/reports",
        {"incident_id": incident["id"], "title": "Week 3", "body_markdown": "Pumps *40 %*."},
    )
    published = await post(f"/api/v1/reports/{report['id']}/publish", {}, status=200)
    assert published["snapshot"]["tasks"] == {"total": 1, "done": 0, "blocked": 0}
    feed = feedparser.parse((await client.get(f"/incidents/{incident['id']}/reports.atom")).text)
    assert [e.title for e in feed.entries] == ["Week 3"]
