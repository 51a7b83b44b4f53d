"""The supervision board's residents panel: unanswered requests by area and kind, waiting
time, the oldest unanswered request, and overdue complaints by organization."""

from datetime import timedelta

import pytest

from core import clock
from tests.conftest import sign_in

pytestmark = pytest.mark.asyncio


async def board(residents) -> dict:
    response = await residents.client.get(
        "/api/v1/supervision",
        params={"incident_id": residents.incident_id},
        headers=residents.official,
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_board_shows_who_waits_and_for_how_long(residents):
    first = await residents.ask(contact_phone="+86 137 0000 4444", consent=True)
    clock.advance(timedelta(days=3))
    await residents.ask(category="shelter", description="Tent for a family")
    verified = await residents.ask(category="health", description="Insulin")
    await residents.act(verified["id"], "verify", {"note": "Called back"})
    complaint = await residents.client.post(
        "/api/v1/complaints",
        json={"incident_id": residents.incident_id, "about_kind": "platform", "text": "Slow"},
    )
    assert complaint.status_code == 201
    data = await board(residents)
    panel = data["sections"]["residents"]
    assert (panel["open"], panel["unanswered"], panel["overdue"]) == (3, 2, 1)
    assert panel["oldest_unanswered"]["reference"] == first["reference"]
    assert panel["oldest_unanswered"]["waiting_hours"] == 72.0
    assert panel["median_wait_hours"] == 0.0
    village = residents.setup.village["id"]
    rows = {(r["area_id"], r["category"]): r for r in panel["by_area"]}
    assert rows[(village, "food")] == {
        "area_id": village,
        "area_name": "Willow Village",
        "category": "food",
        "open": 1,
        "unanswered": 1,
        "overdue": 1,
    }
    assert rows[(village, "health")]["unanswered"] == 0
    (complaints,) = panel["complaints"]
    assert complaints["organization_name"] == "Recovery Office"
    assert (complaints["open"], complaints["overdue"]) == (1, 0)
    assert "+86 137 0000 4444" not in str(data)  # counts and references, no contact data
    clock.advance(timedelta(days=15))
    later = (await board(residents))["sections"]["residents"]
    assert (later["unanswered"], later["overdue"]) == (2, 2)
    assert later["complaints"][0]["overdue"] == 1


async def test_the_board_page_shows_the_panel_for_one_incident(residents):
    receipt = await residents.ask()
    await sign_in(residents.client, residents.setup.official.email)
    page = await residents.client.get("/supervision", params={"incident_id": residents.incident_id})
    assert page.status_code == 200
    assert "Help requests from residents" in page.text
    assert receipt["reference"] in page.text and "Willow Village" in page.text
    zh = await residents.client.get(
        "/supervision",
        params={"incident_id": residents.incident_id},
        headers={"Accept-Language": "zh-CN"},
    )
    assert "居民求助" in zh.text
    everything = await residents.client.get("/supervision")
    assert "Help requests from residents" not in everything.text
