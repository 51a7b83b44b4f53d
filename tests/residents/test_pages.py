"""The public help form works without JavaScript, stays light, and leads to the follow-up page."""

import re

import pytest

from tests.conftest import csrf_token

pytestmark = pytest.mark.asyncio


async def test_the_form_is_one_light_page_in_both_languages(residents):
    for locale, title in (("en", "Ask for help"), ("zh-CN", "求助")):
        response = await residents.client.get("/help", headers={"Accept-Language": locale})
        assert response.status_code == 200
        assert title in response.text
        assert len(response.content) < 30_000
        # A plain form post: nothing on the page needs a script to submit.
        assert re.search(r'<form method="post" action="[^"]*/help"', response.text)


async def test_posting_the_form_leads_to_the_private_follow_up_page(residents):
    client = residents.client
    token = await csrf_token(client, "/help")
    response = await client.post(
        "/help",
        data={
            "csrftoken": token,
            "incident_id": str(residents.incident_id),
            "category": "water_sanitation",
            "description": "No drinking water",
            "people_affected": "12",
            "vulnerable": ["children", "pregnant"],
            "contact_phone": "+86 137 0000 1111",
            "consent": "on",
        },
    )
    assert response.status_code == 303, response.text
    follow_up = response.headers["location"]
    assert "/help/track/" in follow_up
    page = await client.get(follow_up, headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 200
    assert "我们已收到您的求助。" in page.text
    assert "+86 137 0000 1111" not in page.text
    confirm = await client.post(follow_up + "/confirm", data={"csrftoken": token, "done": "yes"})
    assert confirm.status_code == 303
    assert "已完成" in (await client.get(follow_up, headers={"Accept-Language": "zh-CN"})).text


async def test_a_contact_without_consent_comes_back_with_the_message(residents):
    client = residents.client
    token = await csrf_token(client, "/help")
    response = await client.post(
        "/help",
        data={
            "csrftoken": token,
            "incident_id": str(residents.incident_id),
            "category": "food",
            "description": "Food",
            "contact_phone": "+86 137 0000 1111",
        },
    )
    assert response.status_code == 422
    assert "consent" in response.text
