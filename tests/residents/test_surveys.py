"""Surveys of affected people: published with invitations, answered once per link, and public
results per area with every small cell withheld and free text never shown."""

import pytest
from sqlalchemy import func, select

from residents.models import SmsMessage, SurveyAnswer
from tests.conftest import csrf_token

pytestmark = pytest.mark.asyncio

QUESTIONS = [
    {"kind": "scale", "text": "How satisfied are you with the help?", "text_zh": "您满意吗？"},
    {
        "kind": "choice",
        "text": "Did help arrive in time?",
        "text_zh": "帮助及时到达了吗？",
        "choices": ["Yes", "Late", "No"],
        "choices_zh": ["是", "迟到", "否"],
    },
    {"kind": "text", "text": "Anything else?"},
]


async def publish(residents, **overrides) -> dict:
    body = {
        "incident_id": residents.incident_id,
        "title": "How did the help go?",
        "title_zh": "帮助情况如何？",
        "questions": QUESTIONS,
        **overrides,
    }
    response = await residents.client.post("/api/v1/surveys", json=body, headers=residents.official)
    assert response.status_code == 201, response.text
    return response.json()


async def answer(residents, survey, status=201, **body):
    response = await residents.client.post(f"/api/v1/surveys/{survey['id']}/responses", json=body)
    assert response.status_code == status, response.text
    return response.json()


def answers(survey, scale, choice, text=None):
    scale_q, choice_q, text_q = survey["questions"]
    found = [
        {"question_id": scale_q["id"], "value": scale},
        {"question_id": choice_q["id"], "value": choice},
    ]
    if text:
        found.append({"question_id": text_q["id"], "value": text})
    return found


async def test_publishing_invites_each_requester_household_once_by_their_own_link(residents, app):
    invite = {"consent": True, "survey_consent": True}
    await residents.ask(contact_phone="+86 137 0000 0001", **invite)
    await residents.ask(contact_phone="137-0000-0001", **invite)  # the same household
    await residents.ask(contact_phone="+86 137 0000 0002", **invite)
    # Consent for the request only: the contact is not used for a survey (PIPL: separate).
    await residents.ask(contact_phone="+86 137 0000 0009", consent=True)
    await residents.ask()  # no contact: sees the survey on the follow-up page only
    async with app.state.database.session() as session:
        before = await session.scalar(select(func.count()).select_from(SmsMessage))
    survey = await publish(residents)
    assert survey["invited"] == 2
    assert survey["link"].endswith(f"/surveys/{survey['id']}")
    assert [q["kind"] for q in survey["questions"]] == ["scale", "choice", "text"]
    async with app.state.database.session() as session:
        sent = (await session.execute(select(SmsMessage).order_by(SmsMessage.id))).scalars()
        invites = [(m.to_phone, m.text) for m in sent][before:]
    assert len(invites) == 2
    assert all(f"/surveys/{survey['id']}?invite=" in text for _to, text in invites)
    assert "+86 137 0000 0009" not in {to for to, _text in invites}


async def test_a_survey_invitation_needs_a_contact_and_its_consent(residents):
    refused = await residents.ask(status=422, survey_consent=True)
    assert "survey_consent" in refused["error"]["fields"]


async def test_an_invite_link_answers_once_and_counts_in_the_requesters_area(residents, app):
    await residents.ask(contact_phone="+86 137 0000 0003", consent=True, survey_consent=True)
    async with app.state.database.session() as session:
        start = await session.scalar(select(func.count()).select_from(SmsMessage))
    survey = await publish(residents)
    async with app.state.database.session() as session:
        text = (await session.scalars(select(SmsMessage.text).offset(start))).first()
    invite = text.split("invite=")[1].split()[0]
    await answer(residents, survey, invite=invite, answers=answers(survey, 4, "Yes"))
    again = await answer(residents, survey, 409, invite=invite, answers=answers(survey, 1, "No"))
    assert again["error"]["code"] == "conflict"
    wrong = await answer(residents, survey, 422, invite="x" * 32, answers=answers(survey, 1, 0))
    assert "invite" in wrong["error"]["fields"]
    results = (await residents.client.get(f"/api/v1/surveys/{survey['id']}/results")).json()
    assert results["areas"] == [
        {
            "area_id": residents.setup.village["id"],
            "responses": None,
            "withheld": True,
            "questions": [],
        }
    ]


async def test_results_withhold_small_areas_and_cells_and_never_show_free_text(residents, app):
    survey = await publish(residents, invite=False)
    village, county = residents.setup.village["id"], residents.setup.county["id"]
    for scale, choice in ((5, "Yes"), (4, "Yes"), (4, "是"), (3, 0), (2, "Yes"), (5, "No")):
        await answer(
            residents, survey, area_id=village, answers=answers(survey, scale, choice, "Mr Li")
        )
    for _ in range(4):
        await answer(residents, survey, area_id=county, answers=answers(survey, 3, "Late"))
    response = await residents.client.get(f"/api/v1/surveys/{survey['id']}/results")
    assert response.status_code == 200
    assert "Mr Li" not in response.text
    areas = {a["area_id"]: a for a in response.json()["areas"]}
    # Four responses is itself a small cell: not even the count is published.
    assert areas[county] == {
        "area_id": county, "responses": None, "withheld": True, "questions": []
    }  # fmt: skip
    shown = areas[village]
    assert shown["responses"] == 6 and not shown["withheld"]
    scale, choice = shown["questions"]
    assert scale["mean"] == 3.83 and scale["answers"] == 6
    # A question with any count of 1 to 4 shows no counts at all: with "Yes: 5, Late: 0" shown
    # beside 6 answers, a withheld "No" would be 6 - 5 - 0 = 1.
    assert scale["counts"] is None and choice["counts"] is None
    page = await residents.client.get(f"/surveys/{survey['id']}/results")
    assert "Mr Li" not in page.text and "4 responses" not in page.text
    assert "Some answers are too few to publish; the figures are withheld." in page.text
    async with app.state.database.session() as session:
        kept = await session.scalar(select(func.count()).where(SurveyAnswer.text == "Mr Li"))
    assert kept == 6  # the coordinators keep the free text; it is just never published


async def test_bad_answers_are_refused_naming_the_field(residents):
    survey = await publish(residents, invite=False)
    scale_q, choice_q, _text = survey["questions"]
    bad_scale = await answer(
        residents, survey, 422, answers=[{"question_id": scale_q["id"], "value": 9}]
    )
    assert "answers.0.value" in bad_scale["error"]["fields"]
    bad_choice = await answer(
        residents, survey, 422, answers=[{"question_id": choice_q["id"], "value": "Maybe"}]
    )
    assert "answers.0.value" in bad_choice["error"]["fields"]
    twice = [{"question_id": scale_q["id"], "value": 1}] * 2
    assert (
        "answers.1.question_id"
        in (await answer(residents, survey, 422, answers=twice))["error"]["fields"]
    )
    other_area = await publish(residents, invite=False, area_ids=[residents.setup.village["id"]])
    outside = await answer(
        residents,
        other_area,
        422,
        area_id=residents.setup.county["id"],
        answers=answers(other_area, 1, 0),
    )
    assert "area_id" in outside["error"]["fields"]


async def test_a_survey_needs_valid_questions_and_the_incidents_official(residents, factory):
    bad = await residents.client.post(
        "/api/v1/surveys",
        json={
            "incident_id": residents.incident_id,
            "title": "x",
            "questions": [{"kind": "choice", "text": "Pick", "choices": ["only one"]}],
        },
        headers=residents.official,
    )
    assert bad.status_code == 422
    assert "questions.0.choices" in bad.json()["error"]["fields"]
    ngo = await residents.client.post(
        "/api/v1/surveys",
        json={"incident_id": residents.incident_id, "title": "x", "questions": QUESTIONS},
        headers=residents.ngo,
    )
    assert ngo.status_code == 403


async def test_the_survey_page_works_without_javascript_in_both_languages(residents):
    survey = await publish(residents, invite=False)
    client = residents.client
    path = f"/surveys/{survey['id']}"
    page = await client.get(path, headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 200
    assert "帮助情况如何？" in page.text and "迟到" in page.text
    assert len(page.content) < 30_000
    token = await csrf_token(client, path)
    scale_q, choice_q, text_q = survey["questions"]
    refused = await client.post(
        path, data={"csrftoken": token, f"q{scale_q['id']}": "7", f"q{choice_q['id']}": "1"}
    )
    assert refused.status_code == 422
    assert "1 to 5" in refused.text
    # Nothing answered at all: the refusal of the answers as a whole is shown, not only named.
    empty = await client.post(path, data={"csrftoken": token})
    assert empty.status_code == 422
    assert 'id="e-answers"' in empty.text
    for _ in range(5):
        sent = await client.post(
            path,
            data={
                "csrftoken": token,
                "area_id": str(residents.setup.village["id"]),
                f"q{scale_q['id']}": "4",
                f"q{choice_q['id']}": "1",
                f"q{text_q['id']}": "The volunteers were kind",
            },
        )
        assert sent.status_code == 303, sent.text
    thanks = await client.get(sent.headers["location"])
    assert "Thank you" in thanks.text
    results = await client.get(f"{path}/results", headers={"Accept-Language": "zh-CN"})
    assert results.status_code == 200
    assert "Willow Village" in results.text and "迟到: 5" in results.text
    assert "volunteers were kind" not in results.text


async def test_the_follow_up_page_offers_the_incidents_surveys(residents):
    receipt = await residents.ask()
    survey = await publish(residents, invite=False)
    page = await residents.track(receipt)
    assert f"/surveys/{survey['id']}" in page.text


async def test_an_answered_invite_keeps_no_time_that_could_tie_it_to_the_answers(residents, app):
    from residents.models import SurveyInvite

    assert "answered_at" not in SurveyInvite.model_fields
    await residents.ask(contact_phone="+86 137 0000 0004", consent=True, survey_consent=True)
    survey = await publish(residents)
    async with app.state.database.session() as session:
        text = (
            await session.scalars(select(SmsMessage.text).order_by(SmsMessage.id.desc()))
        ).first()
    invite = text.split("invite=")[1].split()[0]
    await answer(residents, survey, invite=invite, answers=answers(survey, 4, "Yes"))
    async with app.state.database.session() as session:
        (row,) = (await session.scalars(select(SurveyInvite))).all()
        assert row.answered is True


async def test_a_bad_area_is_named_by_its_place_in_area_ids(residents):
    """The refusal names the list item to correct (`area_ids.1`), as pydantic's own do."""
    village = residents.setup.village["id"]
    body = {"incident_id": residents.incident_id, "title": "x", "questions": QUESTIONS}
    post = residents.client.post
    missing = await post(
        "/api/v1/surveys", json=body | {"area_ids": [village, 999999]}, headers=residents.official
    )
    assert missing.status_code == 404
    assert list(missing.json()["error"]["fields"]) == ["area_ids.1"]
    elsewhere = await residents.setup.post(
        "/api/v1/incidents",
        {"name": "Hill Fire", "started_on": "2026-11-01", "description": "A fire"},
    )
    hill = await residents.setup.post(
        "/api/v1/areas",
        {"incident_id": elsewhere["id"], "name": "Hill Town", "lat": 30.1, "lon": 114.1},
    )
    outside = await post(
        "/api/v1/surveys",
        json=body | {"area_ids": [hill["id"], village]},
        headers={**residents.official, "Accept-Language": "zh-CN"},
    )
    assert outside.status_code == 422
    fields = outside.json()["error"]["fields"]
    assert list(fields) == ["area_ids.0"] and "area" not in fields["area_ids.0"]
    malformed = await post(
        "/api/v1/surveys", json=body | {"area_ids": [village, "x"]}, headers=residents.official
    )
    assert list(malformed.json()["error"]["fields"]) == ["area_ids.1"]
