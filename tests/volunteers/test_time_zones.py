"""Shift times are typed and shown in the incident's zone, and the page says which zone."""

from datetime import UTC, date, datetime

import pytest
import pytest_asyncio
from sqlalchemy import select

from core.models import Role
from recovery.models import Incident
from tests.conftest import csrf_token, sign_in
from volunteers.models import Shift

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def shanghai(app):
    async with app.state.database.transaction() as session:
        row = Incident(
            name="Riverside flood", started_on=date(2026, 3, 1), time_zone="Asia/Shanghai"
        )
        session.add(row)
        await session.flush()
    return row


async def test_shift_form_times_are_the_incidents_local_time(client, factory, shanghai, db):
    owner = await factory.user(Role.official, org="Recovery Office")
    await factory.lead(shanghai.id, owner)
    await sign_in(client, owner.email)
    token = await csrf_token(client, "/volunteers/shifts/new")
    form = await client.get("/volunteers/shifts/new")
    assert "Riverside flood (Asia/Shanghai)" in form.text
    made = await client.post(
        "/volunteers/shifts/new",
        data={
            "csrftoken": token,
            "incident_id": str(shanghai.id),
            "title": "Sandbags",
            "starts_at": "2026-03-21T09:00",
            "ends_at": "2026-03-21T13:30",
            "lat": "30",
            "lon": "114",
            "capacity": "5",
        },
    )
    assert made.status_code == 303, made.text
    shift = (await db.scalars(select(Shift).where(Shift.title == "Sandbags"))).one()
    # 09:00 in Shanghai is 01:00 UTC.
    assert shift.starts_at == datetime(2026, 3, 21, 1, 0, tzinfo=UTC)
    page = await client.get(made.headers["location"])
    assert "Mar 21, 2026, 9:00\u202fAM – 1:30\u202fPM" in page.text
    assert "Times are shown in China Time (Asia/Shanghai)." in page.text
    listed = await client.get("/volunteers/shifts")
    assert "Mar 21, 2026, 9:00\u202fAM – 1:30\u202fPM" in listed.text
    # The edit form shows the local time it was typed in, not UTC.
    edit = await client.get(made.headers["location"] + "/edit")
    assert 'value="2026-03-21T09:00"' in edit.text


async def test_shift_api_answers_its_incidents_zone(client, factory, shanghai):
    owner = await factory.user(Role.ngo, org="Riverside Red Cross")
    headers = await factory.token(owner)
    body = {
        "incident_id": shanghai.id,
        "title": "Kitchen",
        "starts_at": "2026-03-21T01:00:00Z",
        "ends_at": "2026-03-21T05:00:00Z",
        "lat": 30,
        "lon": 114,
        "capacity": 3,
        "skills": [],
    }
    made = await client.post("/api/v1/shifts", json=body, headers=headers)
    assert made.status_code == 201, made.text
    assert made.json()["time_zone"] == "Asia/Shanghai"


async def test_shift_pages_in_chinese_use_one_format(client, factory, shanghai):
    owner = await factory.user(Role.ngo, org="Riverside Red Cross")
    headers = await factory.token(owner)
    made = await client.post(
        "/api/v1/shifts",
        json={
            "incident_id": shanghai.id,
            "title": "Kitchen",
            "starts_at": "2026-03-21T13:00:00Z",
            "ends_at": "2026-03-21T17:00:00Z",
            "lat": 30,
            "lon": 114,
            "capacity": 3,
            "skills": [],
        },
        headers=headers,
    )
    page = await client.get(
        f"/volunteers/shifts/{made.json()['id']}", headers={"Accept-Language": "zh-CN"}
    )
    # 13:00 UTC is 21:00 in Shanghai; the end (01:00 the next day) carries its own day.
    assert "2026年3月21日 21:00 – 2026年3月22日 01:00" in page.text
    assert "Asia/Shanghai" in page.text


async def test_shift_form_links_needs_tasks_and_areas_by_name(client, factory, shanghai, db):
    owner = await factory.user(Role.official, org="Recovery Office")
    await factory.lead(shanghai.id, owner)
    headers = await factory.token(owner)
    area = await client.post(
        "/api/v1/areas",
        json={"incident_id": shanghai.id, "name": "Willow Village", "lat": 30, "lon": 114},
        headers=headers,
    )
    need = await client.post(
        "/api/v1/needs",
        json={
            "incident_id": shanghai.id, "title": "Sandbag teams", "category": "logistics",
            "quantity": 40, "unit": "people", "priority": "high", "needed_by": "2026-03-25",
            "lat": 30, "lon": 114,
        },
        headers=headers,
    )  # fmt: skip
    assert area.status_code == 201 and need.status_code == 201, (area.text, need.text)
    await sign_in(client, owner.email)
    token = await csrf_token(client, "/volunteers/shifts/new")
    form = await client.get("/volunteers/shifts/new")
    assert '<optgroup label="Riverside flood">' in form.text
    assert f'<option value="{need.json()["id"]}" >Sandbag teams</option>' in form.text
    assert "Willow Village</option>" in form.text and "Need number" not in form.text
    made = await client.post(
        "/volunteers/shifts/new",
        data={
            "csrftoken": token, "incident_id": str(shanghai.id), "title": "Fill sandbags",
            "need_id": str(need.json()["id"]), "area_id": str(area.json()["id"]),
            "starts_at": "2026-03-21T09:00", "ends_at": "2026-03-21T12:00", "description": "",
            "lat": "30", "lon": "114", "capacity": "5",
        },
    )  # fmt: skip
    # The description is optional, and a blank one is accepted.
    assert made.status_code == 303, made.text
    shift = (await db.scalars(select(Shift).where(Shift.title == "Fill sandbags"))).one()
    assert (shift.need_id, shift.area_id, shift.description) == (
        need.json()["id"],
        area.json()["id"],
        "",
    )
