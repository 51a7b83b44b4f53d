"""The signed-out lane of the project page: the same answer as the whole stack's, in one
statement, taken only by a signed-out GET; an unknown or impossible id is the stack's 404."""

from datetime import timedelta

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import event

from core.app import create_app
from core.db import read_rows
from core.models import AuditEntry
from donations.models import Disbursement, Donation
from recovery.models import Milestone
from recovery.service.projects import _project_page_stack
from tests.conftest import sign_in
from tests.recovery.conftest import forget_pages, headers_of

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def project(app, seeded):
    """The school project with what its page shows besides its tasks: milestones (one
    reached, one overdue), money pledged, received and spent (a reversal and another
    currency too), and a history of its own changes and a task added."""
    school = seeded.projects[0]
    today, office = seeded.today, seeded.orgs["office"]
    async with app.state.database.transaction() as session:
        session.add_all(
            [
                Milestone(project_id=school.id, title="Walls up", due_on=today - timedelta(3)),
                Milestone(
                    project_id=school.id,
                    title="Roof on",
                    due_on=today - timedelta(9),
                    reached_on=today - timedelta(10),
                ),
                Milestone(project_id=school.id, title="Opening", due_on=today + timedelta(40)),
            ]
        )
        gift = {"incident_id": school.incident_id, "project_id": school.id}
        session.add_all(
            [
                Donation(**gift, amount_minor=70_000, currency="CNY"),
                Donation(
                    **gift,
                    amount_minor=50_000,
                    currency="CNY",
                    status="received",
                    received_minor=45_000,
                    refunded_minor=5_000,
                ),
                Donation(**gift, amount_minor=500, currency="USD"),
            ]
        )
        spent = {**gift, "currency": "CNY", "description": "Bricks"}
        session.add_all(
            [
                Disbursement(**spent, amount_minor=12_000),
                Disbursement(**spent, amount_minor=99_000, reversed=True),
            ]
        )
        session.add_all(
            [
                AuditEntry(
                    actor_id=seeded.admin.id,
                    action="project.create",
                    object_type="projects",
                    object_id=school.id,
                    after={"title": school.title},
                ),
                AuditEntry(
                    action="task.create",
                    object_type="tasks",
                    object_id=seeded.tasks[0].id,
                    after={"title": "Clear the site", "due_on": today.isoformat()},
                ),
                AuditEntry(
                    actor_id=seeded.admin.id,
                    action="project.update",
                    object_type="projects",
                    object_id=school.id,
                    before={"title": "Rebuild the school", "lead_org_id": office.id},
                    after={"title": school.title, "lead_org_id": office.id},
                ),
                # Another project's change is not this one's history.
                AuditEntry(
                    action="project.update",
                    object_type="projects",
                    object_id=seeded.projects[1].id,
                    before={"title": "Not this one"},
                    after={"title": "Nor this"},
                ),
            ]
        )
    return school


@pytest.mark.parametrize("language", ["en", "zh-CN,zh;q=0.9"])
async def test_the_lane_answers_as_the_whole_stack(app, client, project, lanes, language):
    url = f"/projects/{project.id}"
    headers = {"Accept-Language": language}
    lanes.off = True
    normal = await client.get(url, headers=headers)
    assert normal.status_code == 200
    forget_pages(app, "projects")
    lanes.off = False
    lane = await client.get(url, headers=headers)
    assert lanes.taken == [True]
    assert lane.status_code == 200
    assert lane.content == normal.content
    assert headers_of(lane) == headers_of(normal)
    for name in ("etag", "cache-control", "vary", "content-security-policy"):
        assert name in lane.headers
    # What the page shows besides the project: every part of its statement is in it.
    if language == "en":
        text = lane.text
        for shown in ("Walls up", "Roof on", "Opening", "Rebuild Willow school: step 1"):
            assert shown in text
        assert "Rebuild the school" in text and "Not this one" not in text
        assert "Clear the site" in text and "Platform Admin Zhou" in text
        # Pledged, received (less the refund), disbursed (not the reversal), the balance.
        for figure in ("1,200.00", "400.00", "120.00", "280.00"):
            assert figure in text
        assert "990.00" not in text
    # Without gzip too (the front keys on it), and a revalidation answers 304.
    forget_pages(app, "projects")
    plain = await client.get(url, headers=headers | {"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == normal.content
    forget_pages(app, "projects")
    again = await client.get(url, headers=headers | {"If-None-Match": normal.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert lanes.taken == [True, True, True]


async def test_a_project_without_tasks_area_or_money_answers_as_the_whole_stack(
    app, client, factory, seeded, lanes
):
    official = await factory.user("official", org="Works Bureau", org_kind="government")
    await factory.lead(seeded.incident.id, official)
    created = await client.post(
        "/api/v1/projects",
        json={
            "incident_id": seeded.incident.id,
            "title": "Bare project",
            "lead_org_id": official.organization_id,
            "budget_minor": 0,
            "currency": "CNY",
            "starts_on": seeded.today.isoformat(),
            "due_on": seeded.today.isoformat(),
        },
        headers=await factory.token(official),
    )
    assert created.status_code == 201, created.text
    url = f"/projects/{created.json()['id']}"
    lanes.off = True
    normal = await client.get(url)
    forget_pages(app, "projects")
    lanes.off = False
    lane = await client.get(url)
    assert lanes.taken == [True]
    assert lane.status_code == normal.status_code == 200
    assert lane.content == normal.content
    assert headers_of(lane) == headers_of(normal)


@pytest_asyncio.fixture
async def steady_app(settings):
    """The app with versions trusted for a minute: a miss then reads only its page."""
    application = create_app(settings.model_copy(update={"public_version_ttl": 60.0}))
    async with application.router.lifespan_context(application):
        yield application


async def test_a_signed_out_miss_of_a_project_page_is_one_statement(steady_app, seeded):
    engine = steady_app.state.database.engine.sync_engine
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    transport = httpx.ASGITransport(app=steady_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        # The first view reads the versions too.
        assert (await client.get(f"/projects/{seeded.projects[1].id}")).status_code == 200
        event.listen(engine, "before_cursor_execute", listener)
        try:
            for project in seeded.projects:
                forget_pages(steady_app, "projects")
                statements.clear()
                page = await client.get(f"/projects/{project.id}")
                assert page.status_code == 200
                # SQLite's connections begin each read explicitly (core/db.py); PostgreSQL's
                # lane runs its statement outside any transaction.
                assert [s for s in statements if s != "BEGIN"] == statements[-1:], statements
                assert len(statements) == (1 if engine.dialect.name == "postgresql" else 2)
        finally:
            event.remove(engine, "before_cursor_execute", listener)


async def test_a_signed_in_visitor_does_not_take_the_lane(client, factory, project, lanes):
    user = await factory.user("volunteer")
    await sign_in(client, user.email)
    lanes.taken.clear()
    page = await client.get(f"/projects/{project.id}")
    assert page.status_code == 200
    assert lanes.taken == []
    assert "public" not in page.headers.get("cache-control", "")
    assert "Walls up" in page.text


@pytest.mark.parametrize("project_id", ["987654", str(2**31), str(2**63), str(2**64 + 5)])
async def test_an_unknown_or_impossible_project_is_the_stack_s_404(
    client, seeded, lanes, project_id
):
    page = await client.get(f"/projects/{project_id}")
    assert page.status_code == 404
    assert lanes.taken == [False]
    lanes.off = True
    assert (await client.get(f"/projects/{project_id}")).content == page.content


async def test_read_rows_reads_what_sqlalchemy_reads(app, project, seeded):
    """On PostgreSQL the project page's statement runs on asyncpg's connection itself: the
    same rows, column by column, as SQLAlchemy's execution gives."""
    stack = app.state.database.extensions.statement("project.page", _project_page_stack)
    heard = []
    engine = app.state.database.engine.sync_engine
    listener = lambda *args: heard.append(args[2])  # noqa: E731
    async with app.state.database.engine.connect() as connection:
        for model in seeded.projects:
            params = {"project_id": model.id}
            result = await connection.execute(stack.statement, params)
            expected = [tuple(row) for row in result.all()]
            event.listen(engine, "before_cursor_execute", listener)
            try:
                assert await read_rows(connection, stack.statement, params) == expected
            finally:
                event.remove(engine, "before_cursor_execute", listener)
            parts = stack.split(expected)
            assert [len(rows) for rows in parts[:1]] == [1]
    assert len(heard) == len(seeded.projects)
