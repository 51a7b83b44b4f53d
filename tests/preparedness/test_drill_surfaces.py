"""A drill that touches every domain — needs and a plan's tasks, a shift worked by a volunteer,
a gift received and spent, a complaint and a help request, a team on site, a published report
and an alert — leaves every public surface as it was: the lists, the ledger and IATI, the
shifts list, organizations' records, the exports and the feeds."""

from datetime import timedelta

import feedparser
import pytest

from core import clock
from core.cli import load_demo
from tests.preparedness.conftest import TODAY
from tests.preparedness.public_walk import assert_untouched, public_paths, public_view
from tests.preparedness.test_story import Desk

pytestmark = pytest.mark.asyncio


async def test_a_drill_in_every_domain_leaves_every_public_surface_untouched(settings, app, client):
    assert await load_demo(settings, "en") is True  # the demo's names, in English
    desk = Desk(client)
    for who, address in (
        ("official", "official@demo.example.org"),
        ("team", "blue.sky@demo.example.org"),
        ("ngo", "ngo@demo.example.org"),
        ("volunteer", "volunteer@demo.example.org"),
        ("donor", "donor@demo.example.org"),
    ):
        await desk.sign_in(who, address)
    real = (await desk.call("anonymous", "GET", "/api/v1/incidents"))["items"]
    orgs = (await desk.call("anonymous", "GET", "/api/v1/organizations", limit=100))["items"]
    by_name = {o["name"]: o["id"] for o in orgs}
    red_cross, blue_sky = by_name["Riverside Red Cross"], by_name["Blue Sky Rescue Team"]
    walk = dict(organizations=[o["id"] for o in orgs], incidents=[i["id"] for i in real])
    assert {"/api/v1/ledger", "/api/v1/shifts", "/volunteers/shifts", "/alerts.atom"} <= set(
        public_paths(app)
    )
    started = clock.utcnow()
    before = await public_view(client, app, **walk)

    drill = await desk.call(
        "official", "POST", "/api/v1/incidents",
        {"name": "Flood drill", "started_on": TODAY.isoformat(), "status": "exercise",
         "time_zone": "Asia/Shanghai"},
        status=201,
    )  # fmt: skip
    did = drill["id"]
    area = await desk.call(
        "official", "POST", "/api/v1/areas",
        {"incident_id": did, "name": "Drill ground", "lat": 30.6, "lon": 114.27}, status=201,
    )  # fmt: skip
    need = await desk.call(
        "official", "POST", "/api/v1/needs",
        {"incident_id": did, "area_id": area["id"], "title": "Drill tarpaulins",
         "category": "shelter", "quantity": 40, "unit": "tarpaulins", "priority": "high",
         "needed_by": (TODAY + timedelta(days=3)).isoformat(), "lat": 30.6, "lon": 114.27},
        status=201,
    )  # fmt: skip
    project = await desk.call(
        "official", "POST", "/api/v1/projects",
        {"incident_id": did, "area_id": area["id"], "title": "Drill shelter camp",
         "lead_org_id": drill["lead_org_id"], "budget_minor": 100000, "currency": "CNY",
         "starts_on": TODAY.isoformat(), "due_on": (TODAY + timedelta(days=9)).isoformat()},
        status=201,
    )  # fmt: skip
    task = await desk.call(
        "official", "POST", f"/api/v1/projects/{project['id']}/tasks",
        {"title": "Pitch the drill tents", "responsible_org_id": red_cross,
         "due_on": (TODAY + timedelta(days=2)).isoformat()},
        status=201,
    )  # fmt: skip
    await desk.call("ngo", "PATCH", f"/api/v1/tasks/{task['id']}", {"progress": 50})

    # A shift of the drill, signed up for and worked.
    start = clock.utcnow() + timedelta(hours=2)
    shift = await desk.call(
        "official", "POST", "/api/v1/shifts",
        {"incident_id": did, "title": "Drill sandbagging", "starts_at": start.isoformat(),
         "ends_at": (start + timedelta(hours=3)).isoformat(), "lat": 30.6, "lon": 114.27,
         "capacity": 5},
        status=201,
    )  # fmt: skip
    signed = await desk.call("volunteer", "POST", f"/api/v1/shifts/{shift['id']}/signup")
    assert signed["status"] == "confirmed"
    me = await desk.call("volunteer", "GET", "/api/v1/volunteers/me")
    clock.advance(timedelta(hours=6))
    await desk.call(
        "official", "POST", f"/api/v1/shifts/{shift['id']}/attendance",
        {"volunteer_id": me["user_id"], "checked_in_at": start.isoformat(),
         "checked_out_at": (start + timedelta(hours=3)).isoformat()},
    )  # fmt: skip

    # A gift to the drill, received and spent: ledger entries of the drill's own chain.
    gift = await desk.client.post(
        "/api/v1/donations",
        json={"incident_id": did, "amount_minor": 50000, "currency": "CNY",
              "public_name": "Drill donor"},
        headers={**desk.headers["donor"], "Idempotency-Key": "drill-gift-1"},
    )  # fmt: skip
    assert gift.status_code == 201, gift.text
    await desk.call(
        "official", "POST", f"/api/v1/donations/{gift.json()['id']}/receive",
        {"reference": "DRILL-BANK-1"},
    )  # fmt: skip
    await desk.call(
        "official", "POST", "/api/v1/disbursements",
        {"incident_id": did, "project_id": project["id"], "amount_minor": 20000,
         "currency": "CNY", "description": "Drill tents"},
        status=201,
    )  # fmt: skip

    # Residents' side: a complaint about the task (counted against the Red Cross) and a
    # help request.
    await desk.call(
        "anonymous", "POST", "/api/v1/complaints",
        {"incident_id": did, "about_kind": "task", "about_id": task["id"],
         "text": "The drill tents went up late."},
        status=201,
    )  # fmt: skip
    await desk.call(
        "anonymous", "POST", "/api/v1/help-requests",
        {"incident_id": did, "category": "shelter", "description": "Drill: our roof is gone",
         "area_id": area["id"]},
        status=201,
    )  # fmt: skip

    # A team on site, and an alert and a report published.
    deployment = await desk.call(
        "official", "POST", "/api/v1/deployments",
        {"incident_id": did, "team_org_id": blue_sky, "area_id": area["id"],
         "capability": "collapsed_structure_sar", "starts_on": TODAY.isoformat(),
         "ends_on": TODAY.isoformat()},
        status=201,
    )  # fmt: skip
    path = f"/api/v1/deployments/{deployment['id']}"
    await desk.call("team", "POST", f"{path}/accept")
    await desk.call("team", "POST", f"{path}/check-in", {"lat": 30.6, "lon": 114.27})
    clock.advance(timedelta(hours=5))
    await desk.call("team", "POST", f"{path}/check-out", {"lat": 30.6, "lon": 114.27})
    await desk.call(
        "official", "POST", "/api/v1/alerts",
        {"incident_id": did, "event": "Flood", "category": "Met", "urgency": "Immediate",
         "severity": "Severe", "certainty": "Observed", "headline": "Drill: river rising",
         "description": "An exercise.", "area_ids": [area["id"]],
         "expires": "2099-01-01T00:00:00+00:00"},
        status=201,
    )  # fmt: skip
    report = await desk.call(
        "official", "POST", "/api/v1/reports",
        {"incident_id": did, "title": "Drill week 1", "body_markdown": "All went well."},
        status=201,
    )  # fmt: skip
    await desk.call("official", "POST", f"/api/v1/reports/{report['id']}/publish")

    # Back to the hour of the first look, so only the drill differs, not the time of day.
    clock.set_clock(started, ticking=True)
    after = await public_view(client, app, **walk)
    assert_untouched(before, after)
    # The drill's own pages still show what it did, marked as an exercise.
    page = await client.get(f"/incidents/{did}")
    assert "This is an exercise" in page.text
    own = await desk.call("anonymous", "GET", "/api/v1/needs", incident_id=did)
    assert [n["id"] for n in own["items"]] == [need["id"]]
    # Open data never carries a drill, even asked for by its id.
    iati = await client.get(f"/api/v1/export/iati.xml?incident_id={did}")
    assert iati.status_code == 200 and "<iati-activity" not in iati.text
    chain = await client.get(f"/api/v1/ledger/export.json?incident_id={did}")
    assert chain.status_code == 200 and chain.json()["entries"] == []
    assert (await desk.call("anonymous", "GET", "/api/v1/ledger", incident_id=did))["total"] == 3
    # Nor does a feed: a drill's reports feed is a well-formed Atom feed with no entry, and its
    # pages do not offer it, though the report stays on the drill's own list and page.
    feed = await client.get(f"/incidents/{did}/reports.atom")
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(feed.text)
    assert not parsed.bozo and parsed.feed.title.endswith("Flood drill")
    assert parsed.entries == []
    listed = await client.get(f"/reports?incident_id={did}")
    assert "Drill week 1" in listed.text and "reports.atom" not in listed.text
    report_page = await client.get(f"/reports/{report['id']}")
    assert "All went well." in report_page.text and "reports.atom" not in report_page.text
    # A real incident's report page still offers its feed.
    real_page = await client.get(f"/reports?incident_id={real[0]['id']}")
    assert f"/incidents/{real[0]['id']}/reports.atom" in real_page.text
