"""Issue 16's "done when", over HTTP: a resident asks on the phone form without an account; an
operator logs a second call that the queue flags as a duplicate; an official merges and converts
them into a need; an NGO is matched and fulfils it; the resident sees each step on the follow-up
link and by (fake-gateway) SMS, confirms it was done, and answers a survey whose public results
withhold small cells."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from core import clock
from core.models import OutboxMessage
from residents import service
from tests.conftest import csrf_token
from tests.helpers import finished_run
from tests.residents.test_sms import FakeGateway
from tests.residents.test_surveys import QUESTIONS

pytestmark = pytest.mark.asyncio
PHONE = "+8613712345678"
PHONE_AS_TYPED = "137 1234 5678"  # the operator types the caller's number without +86


async def _send(app, gateway) -> int:
    async with app.state.database.transaction() as session:
        return await service.send_pending(session, gateway.adapter())


async def _page(client, url, locale="en") -> str:
    response = await client.get(url, headers={"Accept-Language": locale})
    assert response.status_code == 200, response.text
    return response.text


async def test_a_request_is_followed_from_the_phone_form_to_the_survey(residents, app):
    client, official, ngo = residents.client, residents.official, residents.ngo
    gateway = FakeGateway()
    today = clock.today("Asia/Shanghai")

    # 1. A resident on a phone, no account: the plain form, one post.
    form = await client.get("/help", headers={"Accept-Language": "zh-CN"})
    assert len(form.content) < 30_000
    posted = await client.post(
        "/help",
        headers={"Accept-Language": "zh-CN"},
        data={
            "csrftoken": await csrf_token(client, "/help"),
            "incident_id": str(residents.incident_id),
            "area_id": str(residents.setup.village["id"]),
            "category": "food",
            "description": "两位老人没有食物，无法出门，需要送饭",
            "people_affected": "2",
            "vulnerable": ["elderly"],
            "contact_phone": PHONE,
            "consent": "on",
            "survey_consent": "on",
        },
    )
    assert posted.status_code == 303, posted.text
    follow_up = posted.headers["location"]
    assert "我们已收到您的求助。" in await _page(client, follow_up, "zh-CN")
    assert await _send(app, gateway) == 1
    reference = gateway.texts()[0].split("]")[0].strip("[")
    assert follow_up in gateway.texts()[0]  # the first text carries the private link

    # 2. A neighbour calls the hotline about the same flat: the duplicate check while typing.
    typed = {"incident_id": residents.incident_id, "contact_phone": PHONE_AS_TYPED}
    check = await client.get("/api/v1/help-requests/duplicates", params=typed, headers=ngo)
    assert check.status_code == 200 and check.json()[0]["same_phone"] is True
    second = await residents.by_phone(
        description="Two old people in the flat have no food",
        contact_phone=PHONE_AS_TYPED,
        consent=True,
    )
    queue = {item["id"]: item for item in await residents.queue()}
    first_id = next(i for i, item in queue.items() if item["reference"] == reference)
    assert queue[second["id"]]["possible_duplicates"] == [first_id]

    # 3. The official verifies by a call-back, merges the second into the first and converts.
    await residents.act(first_id, "verify", {"note": "Called back, confirmed"})
    await residents.act(second["id"], "merge", {"into_id": first_id})
    converted = await residents.act(
        first_id,
        "convert",
        {
            "title": "Meals for two elderly residents",
            "quantity": 20,
            "unit": "meals",
            "needed_by": (today + timedelta(days=5)).isoformat(),
        },
    )
    need_id = converted["need_id"]
    assert (await residents.queue(status="duplicate"))[0]["id"] == second["id"]

    # 4. The NGO offers meals; matching proposes, the official accepts, the NGO delivers.
    village = residents.setup.village
    offer = await client.post(
        "/api/v1/offers",
        headers=ngo,
        json={
            "incident_id": residents.incident_id,
            "category": "food",
            "quantity": 50,
            "unit": "meals",
            "lat": village["lat"],
            "lon": village["lon"],
            "radius_km": 20,
            "available_from": (today + timedelta(days=1)).isoformat(),
            "available_until": (today + timedelta(days=10)).isoformat(),
        },
    )
    assert offer.status_code == 201, offer.text
    run = await finished_run(
        client,
        app,
        await client.post(
            "/api/v1/matching/runs", json={"incident_id": residents.incident_id}, headers=official
        ),
        headers=official,
    )
    (proposal,) = [p for p in run["proposals"] if p["need_id"] == need_id]
    accepted = await client.post(f"/api/v1/matches/{proposal['id']}/accept", headers=official)
    assert accepted.status_code == 200, accepted.text
    coming = await _page(client, follow_up)
    start, end = today + timedelta(days=1), today + timedelta(days=5)
    assert f"Riverside Red Cross will bring the help, expected between {start} and {end}." in (
        coming
    )
    fulfilled = await client.post(
        f"/api/v1/matches/{proposal['id']}/fulfil", json={"quantity": 20}, headers=ngo
    )
    assert fulfilled.status_code == 200, fulfilled.text
    assert "Riverside Red Cross reports that the help was delivered" in (
        await _page(client, follow_up)
    )

    # Every step went out by SMS too, in the requester's language, with the reference.
    await _send(app, gateway)
    texts = gateway.texts()
    assert all(text.startswith(f"[{reference}] ") for text in texts)
    said = " ".join(texts)
    for step in ("我们已收到您的求助。", "您的求助已核实确认。", "Riverside Red Cross"):
        assert step in said, texts
    # The last asks to confirm, by a reply that names the request (DONE or NO <reference>).
    assert texts[-1].count(reference) == 3, texts[-1]

    # 5. The resident confirms it was done; the follow-up link says so.
    done = await client.post(
        follow_up + "/confirm", data={"csrftoken": client.cookies["csrftoken"], "done": "yes"}
    )
    assert done.status_code == 303
    view = await residents.track_api({"follow_up_url": follow_up})
    assert view["status"] == "closed" and view["need_status"] == "met"
    assert [u["status"] for u in view["updates"]][:3] == ["received", "verified", "converted"]

    # 6. A survey goes to the incident's requesters by SMS; the resident answers by that link.
    survey = await client.post(
        "/api/v1/surveys",
        headers=official,
        json={
            "incident_id": residents.incident_id,
            "title": "How did the help go?",
            "questions": QUESTIONS,
            "invite": True,
        },
    )
    assert survey.status_code == 201, survey.text
    survey = survey.json()
    await _send(app, gateway)
    invite = gateway.texts()[-1].split("invite=")[1].split()[0]
    scale_q, choice_q, text_q = survey["questions"]

    async def respond(**body):
        response = await client.post(f"/api/v1/surveys/{survey['id']}/responses", json=body)
        assert response.status_code == 201, response.text

    await respond(
        invite=invite,
        answers=[
            {"question_id": scale_q["id"], "value": 5},
            {"question_id": choice_q["id"], "value": "Yes"},
            {"question_id": text_q["id"], "value": "The volunteer was Wang, thank you"},
        ],
    )
    results = (await client.get(f"/api/v1/surveys/{survey['id']}/results")).json()
    (area,) = results["areas"]
    assert area["withheld"] is True and area["responses"] is None and area["questions"] == []
    page = await _page(client, f"/surveys/{survey['id']}/results")
    assert "Too few responses to publish figures." in page and "Wang" not in page

    # Four neighbours answer by the public link: now five, the figures show, free text never.
    for value in (4, 4, 5, 3):
        await respond(
            area_id=village["id"],
            answers=[
                {"question_id": scale_q["id"], "value": value},
                {"question_id": choice_q["id"], "value": "Yes"},
            ],
        )
    results = (await client.get(f"/api/v1/surveys/{survey['id']}/results")).json()
    (area,) = results["areas"]
    assert area["withheld"] is False and area["responses"] == 5
    scale, choice = area["questions"]
    assert scale["mean"] == 4.2
    # Scale cells of 1 to 4 answers: the whole distribution is withheld, so no cell can be
    # recovered by subtracting the others from the total.
    assert scale["counts"] is None
    assert choice["counts"] == {"Yes": 5, "Late": 0, "No": 0}
    page = await _page(client, f"/surveys/{survey['id']}/results")
    assert "Wang" not in page and "4.2" in page

    # The NGO and the lead agency were told nothing personal: no phone in any mail.
    async with app.state.database.session() as session:
        bodies = list(await session.scalars(select(OutboxMessage.body)))
    assert not [b for b in bodies if "13712345678" in b or "1234 5678" in b]
