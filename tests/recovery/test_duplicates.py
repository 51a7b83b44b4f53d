"""Logging a need or opening an incident that looks like one already there asks to confirm."""

import pytest
from sqlalchemy import func, select

from recovery.models import Incident, Need
from tests.conftest import sign_in

pytestmark = pytest.mark.asyncio


def _form(setup, token, **overrides):
    body = setup.need_body(**overrides)
    return {k: str(v) for k, v in body.items()} | {"csrftoken": token}


async def _count(db, model) -> int:
    """A count read in its own short transaction, so the app's writes are not blocked."""
    found = await db.scalar(select(func.count()).select_from(model))
    await db.rollback()
    return found


async def test_a_likely_duplicate_need_is_held_until_confirmed(client, db, setup):
    first = await setup.need(title="Family tents")
    await sign_in(client, setup.official.email)
    token = client.cookies["csrftoken"]
    data = _form(setup, token, title="Tents for families")
    held = await client.post("/manage/needs/new", data=data, headers={"HX-Request": "true"})
    assert held.status_code == 422
    assert "A need like this is already open in this place: “Family tents”" in held.text
    assert 'name="confirm_duplicate"' in held.text
    assert await _count(db, Need) == 1
    # Another category, or far away, is no duplicate.
    other = await client.post(
        "/manage/needs/new", data=_form(setup, token, category="food", unit="boxes")
    )
    assert other.status_code == 303
    logged = await client.post("/manage/needs/new", data=data | {"confirm_duplicate": "1"})
    assert logged.status_code == 303
    assert await _count(db, Need) == 3
    assert first["id"] != int(logged.headers["location"].rsplit("/", 1)[1])


async def test_the_warning_is_in_the_users_language(client, setup):
    await setup.need()
    await sign_in(client, setup.official.email)
    held = await client.post(
        "/manage/needs/new",
        data=_form(setup, client.cookies["csrftoken"]),
        headers={"HX-Request": "true", "Accept-Language": "zh-CN"},
    )
    assert held.status_code == 422 and "仍然登记" in held.text


async def test_an_incident_with_the_same_name_and_start_is_held(client, db, setup):
    await sign_in(client, setup.official.email)
    token = client.cookies["csrftoken"]
    data = {
        "csrftoken": token,
        "name": " river floods ",
        "started_on": setup.incident["started_on"],
        "status": "response",
        "time_zone": "Asia/Shanghai",
    }
    held = await client.post("/manage/incidents", data=data, headers={"HX-Request": "true"})
    assert held.status_code == 422 and "is already open" in held.text
    assert await _count(db, Incident) == 1
    opened = await client.post("/manage/incidents", data=data | {"confirm_duplicate": "1"})
    assert opened.status_code == 303
    assert await _count(db, Incident) == 2
