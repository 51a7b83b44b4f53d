"""The supervision board's residents panel: unanswered requests by area and kind, waiting
time, the oldest unanswered request, and overdue complaints by organization."""

from datetime import timedelta

import pytest

from core import clock
from core.models import Role
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


async def test_the_board_of_all_incidents_shows_the_panel_of_each_incident_one_may_see(
    residents, factory
):
    """Without an incident chosen, the board gathers each incident's residents panel, named
    by its incident, for the incidents the caller's agency acts on, and no other agency's."""
    clock.advance(timedelta(days=-3))
    ours = await residents.ask()
    clock.advance(timedelta(days=3))
    other = await factory.user(Role.official, org="Water Bureau", email="w@example.org")
    theirs_headers = await factory.token(other)
    theirs = await residents.setup.post(
        "/api/v1/incidents",
        {"name": "Hill Landslide", "started_on": clock.today().isoformat(),
         "status": "response", "time_zone": "Asia/Shanghai"},
        headers=theirs_headers,
    )  # fmt: skip
    hidden = await residents.ask(incident_id=theirs["id"], area_id=None)
    data = (await residents.client.get("/api/v1/supervision", headers=residents.official)).json()
    assert data["sections"] == {}
    (panel,) = data["panels"]
    assert (panel["incident_id"], panel["incident_name"]) == (residents.incident_id, "River Floods")
    figures = panel["sections"]["residents"]
    assert (figures["unanswered"], figures["overdue"]) == (1, 1)
    assert figures["oldest_unanswered"]["reference"] == ours["reference"]
    theirs_board = await residents.client.get("/api/v1/supervision", headers=theirs_headers)
    (their_panel,) = theirs_board.json()["panels"]
    assert their_panel["incident_id"] == theirs["id"]
    assert (
        their_panel["sections"]["residents"]["oldest_unanswered"]["reference"]
        == (hidden["reference"])
    )

    await sign_in(residents.client, residents.setup.official.email)
    everything = await residents.client.get("/supervision")
    assert "Help requests from residents: River Floods" in everything.text
    assert ours["reference"] in everything.text and "Willow Village" in everything.text
    assert hidden["reference"] not in everything.text and "Hill Landslide" not in everything.text
    queue = f"incident_id={residents.incident_id}&amp;status=received#req-{ours['id']}"
    assert queue in everything.text
    zh = await residents.client.get("/supervision", headers={"Accept-Language": "zh-CN"})
    assert "居民求助：River Floods" in zh.text
