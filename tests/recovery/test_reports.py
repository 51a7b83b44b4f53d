"""Progress reports: drafts stay private, publishing freezes figures, safe Markdown, Atom."""

import feedparser
import pytest
from sqlalchemy import select

from core.cli import load_demo
from core.models import Role
from recovery.models import Report
from tests.conftest import csrf_token, sign_in

pytestmark = pytest.mark.asyncio

BODY = """# Week 5

Water is back in **Willow Village**.

<script>alert("x")</script>
<img src=x onerror=alert(1)>

[bad link](javascript:alert(1)) and [good link](https://example.org)
"""


async def report(setup, **overrides):
    body = {"incident_id": setup.incident["id"], "title": "Week 5 update", "body_markdown": BODY}
    body.update(overrides)
    return await setup.post("/api/v1/reports", body)


async def test_public_cannot_see_drafts(client, factory, setup):
    draft = await report(setup)
    assert draft["status"] == "draft"
    assert (await client.get(f"/api/v1/reports/{draft['id']}")).status_code == 404
    assert (await client.get(f"/reports/{draft['id']}")).status_code == 404
    assert (await client.get("/api/v1/reports")).json()["total"] == 0
    assert (await client.get("/api/v1/reports?status=draft")).status_code == 403
    ngo = await factory.user(Role.ngo)
    hidden = await client.get(f"/api/v1/reports/{draft['id']}", headers=await factory.token(ngo))
    assert hidden.status_code == 404
    official_view = await client.get(f"/api/v1/reports/{draft['id']}", headers=setup.headers)
    assert official_view.status_code == 200
    volunteer = await factory.user(Role.volunteer)
    refused = await client.post(
        "/api/v1/reports",
        json={"incident_id": setup.incident["id"], "title": "x"},
        headers=await factory.token(volunteer),
    )
    assert refused.status_code == 403


async def test_markdown_is_rendered_safely(client, setup):
    draft = await report(setup)
    html = draft["body_html"]
    assert "<h1>Week 5</h1>" in html and "<strong>Willow Village</strong>" in html
    # Raw HTML is shown as text, never passed through.
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html
    assert 'href="javascript' not in html
    assert 'href="https://example.org"' in html


async def test_publish_freezes_a_snapshot_including_other_domains_figures(app, client, db, setup):
    async def funds(session, incident_id):
        return {"funds": {"received_minor": 12345, "currency": "CNY"}}

    app.state.database.extensions.providers.setdefault("incident.figures", []).append(funds)
    try:
        met = await setup.need(quantity=10)
        await setup.need(quantity=10)
        await client.patch(
            f"/api/v1/needs/{met['id']}", json={"quantity_met": 10}, headers=setup.headers
        )
        project = await setup.project()
        task = await setup.task(project["id"], setup.official.organization_id)
        await setup.task(project["id"], setup.official.organization_id)
        await client.patch(
            f"/api/v1/tasks/{task['id']}", json={"status": "done"}, headers=setup.headers
        )
        draft = await report(setup)
        published = await client.post(
            f"/api/v1/reports/{draft['id']}/publish", headers=setup.headers
        )
        assert published.status_code == 200
        snapshot = published.json()["snapshot"]
        assert snapshot["needs"]["total"] == 2 and snapshot["needs"]["met"] == 1
        assert snapshot["needs"]["met_percent"] == 50.0
        assert snapshot["tasks"] == {"total": 2, "done": 1, "blocked": 0}
        assert snapshot["funds"]["received_minor"] == 12345
        # Later changes do not alter what was published.
        await setup.need(quantity=5)
        again = (await client.get(f"/api/v1/reports/{draft['id']}")).json()
        assert again["snapshot"]["needs"]["total"] == 2
        twice = await client.post(f"/api/v1/reports/{draft['id']}/publish", headers=setup.headers)
        assert twice.status_code == 409
        edit = await client.patch(
            f"/api/v1/reports/{draft['id']}", json={"title": "New"}, headers=setup.headers
        )
        assert edit.status_code == 409
        page = await client.get(f"/reports/{draft['id']}")
        assert page.status_code == 200 and "Figures at publication" in page.text
        assert "<script>alert" not in page.text
    finally:
        app.state.database.extensions.providers["incident.figures"].remove(funds)


async def test_atom_feed_lists_published_reports_only(client, setup):
    first = await report(setup, title="First update")
    await report(setup, title="Draft notes")
    await client.post(f"/api/v1/reports/{first['id']}/publish", headers=setup.headers)
    response = await client.get(f"/incidents/{setup.incident['id']}/reports.atom")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.text)
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.title.endswith("River Floods")
    assert [entry.title for entry in feed.entries] == ["First update"]
    entry = feed.entries[0]
    assert entry.link.endswith(f"/reports/{first['id']}")
    assert "Willow Village" in entry.content[0].value
    assert "<script" not in entry.content[0].value
    assert (await client.get("/incidents/9999/reports.atom")).status_code == 404


async def test_official_writes_and_publishes_in_the_browser(client, factory, setup):
    await factory.user(Role.official, org="Recovery Office", email="o@example.org")
    await sign_in(client, "o@example.org")
    token = await csrf_token(client, "/manage/reports/new")
    created = await client.post(
        "/manage/reports/new",
        data={
            "csrftoken": token,
            "incident_id": setup.incident["id"],
            "title": "Month one",
            "body_markdown": "All *good*",
        },
    )
    assert created.status_code == 303
    url = created.headers["location"]
    report_id = int(url.rsplit("/", 1)[1])
    page = await client.get(url)
    assert "Draft" in page.text and "<em>good</em>" in page.text
    bad = await client.post(
        f"/reports/{report_id}/edit",
        data={"csrftoken": token, "title": "x" * 300},
        headers={"HX-Request": "true"},
    )
    assert bad.status_code == 422
    published = await client.post(f"/reports/{report_id}/publish", data={"csrftoken": token})
    assert published.status_code == 303
    listing = await client.get(f"/reports?incident_id={setup.incident['id']}")
    assert "Month one" in listing.text and "Atom" in listing.text


async def test_demo_and_web_app_freeze_the_same_snapshot_keys(settings, client, db, setup):
    # The demo publishes its report through `commons demo`'s path, outside any request.
    assert await load_demo(settings) is True
    demo_snapshot = await db.scalar(select(Report.snapshot).where(Report.status == "published"))
    await db.rollback()
    draft = await report(setup)
    published = await client.post(f"/api/v1/reports/{draft['id']}/publish", headers=setup.headers)
    assert published.status_code == 200
    web_snapshot = published.json()["snapshot"]
    assert set(demo_snapshot) == set(web_snapshot)
    # Every domain's figures are there, whichever way the report was published.
    assert {
        "as_of",
        "needs",
        "projects",
        "tasks",
        "funds",
        "funds_by_currency",
        "volunteers",
    } <= set(web_snapshot)
    for key in ("needs", "projects", "tasks", "funds", "volunteers"):
        assert set(demo_snapshot[key]) == set(web_snapshot[key]), key
