"""Help requests: asked without an account, triaged, merged, converted and followed to the end."""

from datetime import timedelta

import pytest

from core import clock

pytestmark = pytest.mark.asyncio


async def test_a_resident_asks_without_an_account_and_follows_the_private_link(residents):
    receipt = await residents.ask()
    assert receipt["status"] == "received"
    assert len(receipt["reference"]) == 8
    token = receipt["follow_up_url"].rsplit("/", 1)[-1]
    assert len(token) >= 32
    view = await residents.track_api(receipt)
    assert view["status"] == "received"
    assert [u["status"] for u in view["updates"]] == ["received"]
    assert view["updates"][0]["message"] == "We received your request."
    bad = await residents.client.get("/api/v1/help-requests/track/" + "x" * 32)
    assert bad.status_code == 404


async def test_the_follow_up_speaks_the_requesters_language(residents):
    receipt = await residents.ask()
    view = await residents.track_api(receipt, **{"Accept-Language": "zh-CN"})
    assert view["updates"][0]["message"] == "我们已收到您的求助。"


async def test_a_contact_without_consent_is_refused(residents):
    refused = await residents.ask(status=422, contact_phone="+86 137 0000 0000")
    assert "consent" in str(refused)
    await residents.ask(contact_phone="+86 137 0000 0000", consent=True)


async def test_the_queue_is_for_officials_and_verified_ngos_only(residents, factory):
    await residents.ask()
    anonymous = await residents.client.get(
        "/api/v1/help-requests", params={"incident_id": residents.incident_id}
    )
    assert anonymous.status_code == 401
    volunteer = await factory.token(await factory.user())
    refused = await residents.client.get(
        "/api/v1/help-requests", params={"incident_id": residents.incident_id}, headers=volunteer
    )
    assert refused.status_code == 403
    assert len(await residents.queue(residents.ngo)) == 1
    # Verifying is an official's decision, not an NGO's.
    item = (await residents.queue())[0]
    response = await residents.client.post(
        f"/api/v1/help-requests/{item['id']}/verify", json={"note": "x"}, headers=residents.ngo
    )
    assert response.status_code == 403


async def test_the_same_phone_is_flagged_as_a_likely_duplicate(residents):
    first = await residents.ask(contact_phone="+86 137 1111 2222", consent=True)
    second = await residents.by_phone(
        description="Food", contact_phone="137-1111-2222", consent=True
    )
    other = await residents.ask(
        description="Roof is leaking", category="shelter", area_id=residents.setup.county["id"]
    )
    queue = {item["id"]: item for item in await residents.queue()}
    assert queue[first["id"]]["possible_duplicates"] == [second["id"]]
    assert queue[second["id"]]["possible_duplicates"] == [first["id"]]
    assert queue[second["id"]]["channel"] == "phone"
    assert queue[other["id"]]["possible_duplicates"] == []


async def test_similar_text_nearby_is_flagged_but_not_far_away(residents):
    a = await residents.ask(description="柳树村三号楼停水，需要饮用水", category="water_sanitation")
    b = await residents.ask(description="柳树村三号楼需要饮用水", category="water_sanitation")
    far = await residents.ask(
        description="柳树村三号楼停水，需要饮用水",
        category="water_sanitation",
        area_id=residents.setup.county["id"],
    )
    queue = {item["id"]: item for item in await residents.queue()}
    assert queue[a["id"]]["possible_duplicates"] == [b["id"]]
    assert queue[far["id"]]["possible_duplicates"] == []


async def test_a_rejection_tells_the_requester_why(residents):
    receipt = await residents.ask()
    result = await residents.act(receipt["id"], "reject", {"reason": "Outside the flood area"})
    assert result["status"] == "rejected"
    view = await residents.track_api(receipt)
    assert view["status"] == "rejected"
    assert view["updates"][-1]["message"] == "Your request was not accepted: Outside the flood area"
    await residents.act(receipt["id"], "verify", {"note": "again"}, status=409)


async def test_merge_convert_fulfil_and_confirm_the_whole_journey(residents):
    web = await residents.ask(contact_phone="+86 137 1111 2222", consent=True)
    phone = await residents.by_phone(contact_phone="+86 137 1111 2222", consent=True)
    assert phone["id"] in (await residents.queue())[0]["possible_duplicates"]
    verified = await residents.act(web["id"], "verify", {"note": "Called back"})
    assert verified["status"] == "verified"
    merged = await residents.act(phone["id"], "merge", {"into_id": web["id"]})
    assert merged == {
        "id": phone["id"],
        "status": "duplicate",
        "need_id": None,
        "duplicate_of_id": web["id"],
    }
    needed_by = (clock.today("Asia/Shanghai") + timedelta(days=3)).isoformat()
    converted = await residents.act(
        web["id"],
        "convert",
        {"title": "Food parcels", "quantity": 2, "unit": "parcels", "needed_by": needed_by},
    )
    need_id = converted["need_id"]
    assert converted["status"] == "converted" and need_id
    need = (await residents.client.get(f"/api/v1/needs/{need_id}")).json()
    assert need["category"] == "food" and need["area_id"] == residents.setup.village["id"]
    view = await residents.track_api(web)
    assert view["status"] == "converted" and view["need_status"] == "open"
    # The organization fulfils the need through recovery; the requester sees its progress.
    await residents.setup.client.patch(
        f"/api/v1/needs/{need_id}", json={"quantity_met": 2}, headers=residents.official
    )
    assert (await residents.track_api(web))["need_status"] == "met"
    duplicate_view = await residents.track_api(phone)
    assert duplicate_view["status"] == "duplicate"
    assert web["reference"] in duplicate_view["updates"][-1]["message"]
    closed = await residents.confirm(web, done=True)
    assert closed["status"] == "closed"
    assert [u["status"] for u in closed["updates"]] == [
        "received",
        "verified",
        "converted",
        "closed",
    ]


async def test_not_done_reopens_the_request(residents):
    receipt = await residents.ask()
    await residents.confirm(receipt, done=True)
    reopened = await residents.confirm(receipt, done=False)
    assert reopened["status"] == "received"
    assert "open again" in reopened["updates"][-1]["message"]


async def test_an_official_of_another_agency_cannot_triage(residents, factory):
    receipt = await residents.ask()
    stranger = await factory.user("official", org="Other Office", org_kind="government")
    response = await residents.client.post(
        f"/api/v1/help-requests/{receipt['id']}/verify",
        json={"note": "x"},
        headers=await factory.token(stranger),
    )
    assert response.status_code == 403
