"""Projects and tasks: roll-up, who may update a task, status rules, audit, htmx row edits."""

from datetime import timedelta

import pytest
from lxml import html

from core import clock
from core.models import Role
from recovery.schemas import TaskUpdate
from recovery.service.tasks import update_task
from tests.conftest import csrf_token, sign_in

pytestmark = pytest.mark.asyncio


async def ngo(factory, name, email=None):
    user = await factory.user(Role.ngo, org=name, email=email)
    return user, await factory.token(user)


async def test_project_with_milestones_and_tasks_rolls_up_progress(client, factory, setup):
    builder, _headers = await ngo(factory, "Harbour Builders")
    project = await setup.project(
        milestones=[{"title": "Foundations", "due_on": clock.today("Asia/Shanghai").isoformat()}]
    )
    assert project["progress"] == 0 and project["milestones"][0]["title"] == "Foundations"
    first = await setup.task(project["id"], builder.organization_id)
    second = await setup.task(project["id"], setup.official.organization_id, title="Permits")
    assert first["responsible_org_name"] == "Harbour Builders"
    await client.patch(f"/api/v1/tasks/{first['id']}", json={"progress": 50}, headers=setup.headers)
    shown = (await client.get(f"/api/v1/projects/{project['id']}")).json()
    assert shown["progress"] == 25
    assert [t["status"] for t in shown["tasks"]] == ["in_progress", "todo"]
    await client.patch(
        f"/api/v1/tasks/{second['id']}", json={"status": "done"}, headers=setup.headers
    )
    assert (await client.get(f"/api/v1/projects/{project['id']}")).json()["progress"] == 75
    await setup.task(project["id"], builder.organization_id, title="Roof")
    assert (await client.get(f"/api/v1/projects/{project['id']}")).json()["progress"] == 50


async def test_bad_project_input(client, setup):
    response = await client.post(
        "/api/v1/projects",
        json={
            "incident_id": setup.incident["id"],
            "title": "X",
            "lead_org_id": 99999,
            "budget_minor": -5,
            "currency": "yuan",
            "starts_on": "2026-10-10",
            "due_on": "2026-10-01",
        },
        headers=setup.headers,
    )
    assert response.status_code == 422
    assert {"budget_minor", "currency", "due_on"} <= set(response.json()["error"]["fields"])
    response = await client.post(
        "/api/v1/projects",
        json={
            "incident_id": setup.incident["id"],
            "title": "X",
            "lead_org_id": 99999,
            "budget_minor": 5,
            "currency": "CNY",
            "starts_on": "2026-10-01",
            "due_on": "2026-10-10",
        },
        headers=setup.headers,
    )
    assert response.status_code == 422 and "lead_org_id" in response.json()["error"]["fields"]


async def test_responsible_org_updates_own_task_and_nobody_elses(client, factory, setup):
    builder, builder_headers = await ngo(factory, "Harbour Builders")
    _other, other_headers = await ngo(factory, "Blue Sky Rescue")
    volunteer = await factory.user(Role.volunteer)
    project = await setup.project()
    task = await setup.task(project["id"], builder.organization_id)
    path = f"/api/v1/tasks/{task['id']}"
    own = await client.patch(path, json={"progress": 30}, headers=builder_headers)
    assert own.status_code == 200 and own.json()["progress"] == 30
    other = await client.patch(path, json={"progress": 90}, headers=other_headers)
    assert other.status_code == 403
    vol = await client.patch(path, json={"progress": 90}, headers=await factory.token(volunteer))
    assert vol.status_code == 403
    assert (await client.patch(path, json={"progress": 90})).status_code == 401
    # The responsible organization reports progress; it cannot move its own deadline.
    later = (clock.today("Asia/Shanghai") + timedelta(days=300)).isoformat()
    moved = await client.patch(path, json={"due_on": later}, headers=builder_headers)
    assert moved.status_code == 403 and "due_on" in moved.json()["error"]["fields"]
    official = await client.patch(path, json={"due_on": later}, headers=setup.headers)
    assert official.status_code == 200 and official.json()["due_on"] == later


async def test_service_checks_task_permission(db, factory, setup):
    builder, _h = await ngo(factory, "Harbour Builders")
    other, _h2 = await ngo(factory, "Blue Sky Rescue")
    project = await setup.project()
    task = await setup.task(project["id"], builder.organization_id)
    with pytest.raises(Exception) as failure:
        await update_task(db, task["id"], TaskUpdate(progress=10), actor=other)
    assert failure.value.status_code == 403
    updated = await update_task(db, task["id"], TaskUpdate(progress=10), actor=builder)
    assert updated.progress == 10


async def test_blocked_needs_reason_and_done_means_complete(client, setup):
    project = await setup.project()
    task = await setup.task(project["id"], setup.official.organization_id)
    path = f"/api/v1/tasks/{task['id']}"
    no_reason = await client.patch(path, json={"status": "blocked"}, headers=setup.headers)
    assert no_reason.status_code == 422
    assert "blocked_reason" in no_reason.json()["error"]["fields"]
    blocked = await client.patch(
        path,
        json={"status": "blocked", "blocked_reason": "Road washed out"},
        headers=setup.headers,
    )
    assert blocked.json()["blocked_reason"] == "Road washed out"
    resumed = await client.patch(path, json={"status": "in_progress"}, headers=setup.headers)
    assert resumed.json()["blocked_reason"] is None
    done = await client.patch(path, json={"progress": 100}, headers=setup.headers)
    assert done.json()["status"] == "done" and done.json()["completed_on"]
    reopened = await client.patch(path, json={"progress": 60}, headers=setup.headers)
    assert reopened.json()["status"] == "in_progress" and reopened.json()["completed_on"] is None
    bad = await client.patch(path, json={"progress": 101}, headers=setup.headers)
    assert bad.status_code == 422 and "progress" in bad.json()["error"]["fields"]
    bad = await client.patch(path, json={"status": "finished"}, headers=setup.headers)
    assert bad.status_code == 422 and "status" in bad.json()["error"]["fields"]


async def test_task_history_on_its_page(client, factory, setup):
    builder, builder_headers = await ngo(factory, "Harbour Builders", "b@example.org")
    project = await setup.project()
    task = await setup.task(project["id"], builder.organization_id)
    await client.patch(
        f"/api/v1/tasks/{task['id']}", json={"progress": 40}, headers=builder_headers
    )
    page = await client.get(f"/tasks/{task['id']}")
    assert page.status_code == 200
    assert builder.name in page.text and "created" in page.text
    assert 'name="progress"' not in page.text  # the public sees no form


async def test_ngo_updates_task_row_inline_on_project_page(client, factory, setup):
    builder, _h = await ngo(factory, "Harbour Builders", "b@example.org")
    other, _h2 = await ngo(factory, "Blue Sky Rescue", "s@example.org")
    project = await setup.project()
    mine = await setup.task(project["id"], builder.organization_id)
    theirs = await setup.task(project["id"], other.organization_id, title="Search")
    await sign_in(client, "b@example.org")
    page = await client.get(f"/projects/{project['id']}")
    assert f"/tasks/{mine['id']}?fragment=row&amp;edit=1" in page.text
    assert f"/tasks/{theirs['id']}?fragment=row&amp;edit=1" not in page.text
    form = await client.get(
        f"/tasks/{mine['id']}?fragment=row&edit=1", headers={"HX-Request": "true"}
    )
    assert 'name="progress"' in form.text and "<html" not in form.text
    token = await csrf_token(client, f"/projects/{project['id']}")
    data = {"csrftoken": token, "fragment": "row", "status": "blocked", "progress": "20"}
    missing = await client.post(f"/tasks/{mine['id']}", data=data, headers={"HX-Request": "true"})
    assert missing.status_code == 422 and "e-blocked_reason" in missing.text
    data["blocked_reason"] = "Waiting for cement"
    saved = await client.post(f"/tasks/{mine['id']}", data=data, headers={"HX-Request": "true"})
    assert saved.status_code == 200 and "Waiting for cement" in saved.text
    refused = await client.post(f"/tasks/{theirs['id']}", data=data)
    assert refused.status_code == 403


async def test_official_creates_project_and_task_in_browser(client, factory, setup):
    builder, _h = await ngo(factory, "Harbour Builders")
    await factory.user(Role.official, org="Recovery Office", email="o@example.org")
    await sign_in(client, "o@example.org")
    token = await csrf_token(client, "/manage/projects/new")
    response = await client.post(
        "/manage/projects/new",
        data={
            "csrftoken": token,
            "incident_id": setup.incident["id"],
            "title": "New bridge",
            "lead_org_id": builder.organization_id,
            "budget_minor": "5000000",
            "currency": "CNY",
            "starts_on": "2026-11-01",
            "due_on": "2027-03-01",
        },
    )
    assert response.status_code == 303
    project_url = response.headers["location"]
    project_id = int(project_url.rsplit("/", 1)[1])
    added = await client.post(
        f"/projects/{project_id}/tasks",
        data={
            "csrftoken": token,
            "title": "Survey the river bed",
            "responsible_org_id": builder.organization_id,
            "due_on": "2026-12-01",
        },
        headers={"HX-Request": "true"},
    )
    assert added.status_code == 200 and "Survey the river bed" in added.text
    page = await client.get(project_url)
    assert "New bridge" in page.text and "Harbour Builders" in page.text
    assert "¥50,000.00" in page.text or "CN¥50,000.00" in page.text


async def test_reassignment_is_audited_with_organization_names(client, factory, setup):
    builder, _h = await ngo(factory, "Harbour Builders")
    sky, sky_headers = await ngo(factory, "Blue Sky Rescue")
    project = await setup.project()
    task = await setup.task(project["id"], builder.organization_id)
    moved = await client.patch(
        f"/api/v1/tasks/{task['id']}",
        json={"responsible_org_id": sky.organization_id},
        headers=setup.headers,
    )
    assert moved.json()["responsible_org_name"] == "Blue Sky Rescue"
    page = await client.get(f"/tasks/{task['id']}")
    assert "<del>Harbour Builders</del>" in page.text
    assert "<ins>Blue Sky Rescue</ins>" in page.text
    # The new responsible organization may now update it.
    own = await client.patch(
        f"/api/v1/tasks/{task['id']}", json={"progress": 5}, headers=sky_headers
    )
    assert own.status_code == 200


async def test_official_corrects_a_project_and_it_is_audited(client, factory, setup):
    project = await setup.project()
    path = f"/api/v1/projects/{project['id']}"
    changed = await client.patch(
        path, json={"budget_minor": 99, "title": "New"}, headers=setup.headers
    )
    assert changed.status_code == 200
    assert changed.json()["budget_minor"] == 99 and changed.json()["title"] == "New"
    bad = await client.patch(path, json={"due_on": "2000-01-01"}, headers=setup.headers)
    assert bad.status_code == 422 and "due_on" in bad.json()["error"]["fields"]
    builder, builder_headers = await ngo(factory, "Harbour Builders")
    refused = await client.patch(path, json={"title": "Mine"}, headers=builder_headers)
    assert refused.status_code == 403
    page = await client.get(f"/projects/{project['id']}")
    assert "<del>Rebuild Willow school</del>" in page.text and "<ins>New</ins>" in page.text
    assert builder.id


async def test_project_edit_form_in_the_browser(client, factory, setup):
    project = await setup.project()
    await factory.user(Role.official, org="Recovery Office", email="o9@example.org")
    await sign_in(client, "o9@example.org")
    token = await csrf_token(client, f"/projects/{project['id']}")
    data = {
        "csrftoken": token,
        "title": "Rebuild Willow school and clinic",
        "lead_org_id": str(setup.official.organization_id),
        "budget": "2,500.50",
        "currency": "cny",
        "starts_on": project["starts_on"],
        "due_on": project["due_on"],
    }
    # The budget is typed in yuan; what is refused is named on the field and shown back.
    for typed in ("-1", "12.345", "lots"):
        bad = await client.post(
            f"/projects/{project['id']}/edit",
            data=data | {"budget": typed},
            headers={"HX-Request": "true"},
        )
        assert bad.status_code == 422 and "e-budget" in bad.text and "<html" not in bad.text
        assert f'value="{typed}"' in bad.text
    done = await client.post(f"/projects/{project['id']}/edit", data=data)
    assert done.status_code == 303
    shown = (await client.get(f"/api/v1/projects/{project['id']}")).json()
    assert shown["title"] == "Rebuild Willow school and clinic" and shown["currency"] == "CNY"
    assert shown["budget_minor"] == 250_050
    page = await client.get(f"/projects/{project['id']}")
    assert 'name="budget"' in page.text and 'value="2500.50"' in page.text


async def test_a_budget_past_32_bits_is_stored_and_shown(client, setup):
    """Budgets are BIGINT: 50 billion yuan in fen is kept exactly, on both engines."""
    budget = 5_000_000_000_000
    project = await setup.project(budget_minor=budget)
    assert project["budget_minor"] == budget
    shown = (await client.get(f"/api/v1/projects/{project['id']}")).json()
    assert shown["budget_minor"] == budget
    response = await client.patch(
        f"/api/v1/projects/{project['id']}",
        json={"budget_minor": budget * 2},
        headers=setup.headers,
    )
    assert response.status_code == 200, response.text
    assert (await client.get(f"/api/v1/projects/{project['id']}")).json()["budget_minor"] == (
        budget * 2
    )
    page = await client.get(f"/projects/{project['id']}")
    assert "100,000,000,000" in page.text
    response = await client.post(
        "/api/v1/projects",
        json={**(await _project_body(setup)), "budget_minor": 10**15 + 1},
        headers=setup.headers,
    )
    assert response.status_code == 422 and "budget_minor" in response.json()["error"]["fields"]


async def _project_body(setup) -> dict:
    return {
        "incident_id": setup.incident["id"],
        "title": "Rebuild the bridge",
        "lead_org_id": setup.official.organization_id,
        "budget_minor": 1,
        "currency": "CNY",
        "starts_on": "2026-04-01",
        "due_on": "2026-10-01",
    }


async def test_adding_a_task_shows_in_the_project_history(client, factory, setup):
    builder, _headers = await ngo(factory, "Harbour Builders")
    project = await setup.project()
    other = await setup.project(title="Another project")
    await setup.task(project["id"], builder.organization_id, title="Pour the foundations")
    await setup.task(other["id"], builder.organization_id, title="Not this project's")
    page = html.fromstring((await client.get(f"/projects/{project['id']}")).text)
    history = [
        " ".join(li.text_content().split()) for li in page.xpath("//ol[@class='history-list']/li")
    ]
    assert any("added the task Pour the foundations, due" in line for line in history)
    assert not any("Not this project's" in line for line in history)
    assert "created" in history[-1]  # the project's own creation, oldest last
