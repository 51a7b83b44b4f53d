"""The triage queue page and the hotline operator's form: duplicates flagged as the operator
types, decisions taken from the queue with htmx or without JavaScript."""

import re
from datetime import timedelta

import pytest

from core import clock
from tests.conftest import csrf_token, sign_in

pytestmark = pytest.mark.asyncio

HX = {"HX-Request": "true"}


async def signed_in_official(residents):
    await sign_in(residents.client, residents.setup.official.email)
    return residents.client


async def test_the_duplicate_check_answers_as_the_operator_types(residents):
    first = await residents.ask(
        description="Roof collapsed on the school, forty children need tents",
        category="shelter",
        contact_phone="+86 137 5555 0000",
        consent=True,
    )
    far = await residents.ask(
        description="Roof collapsed on the school, forty children need tents",
        category="shelter",
        area_id=residents.setup.county["id"],
    )
    check = await residents.client.get(
        "/api/v1/help-requests/duplicates",
        params={
            "incident_id": residents.incident_id,
            "description": "school roof collapsed, children need tents",
            "area_id": residents.setup.village["id"],
        },
        headers=residents.ngo,
    )
    assert check.status_code == 200, check.text
    assert [d["id"] for d in check.json()] == [first["id"]]
    assert check.json()[0]["same_phone"] is False
    by_phone = await residents.client.get(
        "/api/v1/help-requests/duplicates",
        params={"incident_id": residents.incident_id, "contact_phone": "13755550000"},
        headers=residents.ngo,
    )
    assert [(d["id"], d["same_phone"]) for d in by_phone.json()] == [(first["id"], True)]
    assert far["id"] not in [d["id"] for d in check.json()]
    anonymous = await residents.client.get(
        "/api/v1/help-requests/duplicates", params={"incident_id": residents.incident_id}
    )
    assert anonymous.status_code == 401


async def test_the_operator_logs_a_call_and_sees_the_duplicate_flagged(residents):
    web = await residents.ask(contact_phone="+86 137 1111 2222", consent=True)
    client = await signed_in_official(residents)
    page = await client.get("/help/operator")
    assert page.status_code == 200
    assert "autofocus" in page.text and "Caller's number" in page.text
    fragment = await client.get(
        "/help/operator/duplicates",
        params={"incident_id": residents.incident_id, "contact_phone": "137 1111 2222"},
        headers=HX,
    )
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<section id="duplicates"')
    assert web["reference"] in fragment.text and "same number" in fragment.text
    # Without JavaScript the check answers the whole form, keeping what was typed.
    plain = await client.get(
        "/help/operator/duplicates",
        params={"incident_id": residents.incident_id, "contact_phone": "137 1111 2222",
                "description": "Food for two"},
    )  # fmt: skip
    assert "<form" in plain.text and "Food for two" in plain.text
    assert web["reference"] in plain.text
    token = await csrf_token(client, "/help/operator")
    logged = await client.post(
        "/help/operator",
        data={
            "csrftoken": token,
            "incident_id": str(residents.incident_id),
            "category": "food",
            "description": "Two elderly neighbours need food",
            "contact_phone": "137-1111-2222",
            "area_id": str(residents.setup.village["id"]),
            "consent": "on",
        },
    )
    assert logged.status_code == 303, logged.text
    reference = re.search(r"logged=(\w+)", logged.headers["location"]).group(1)
    again = await client.get(logged.headers["location"])
    assert reference in again.text
    queue = {item["reference"]: item for item in await residents.queue()}
    assert queue[reference]["channel"] == "phone"
    assert queue[reference]["possible_duplicates"] == [web["id"]]
    assert queue[web["reference"]]["possible_duplicates"] == [queue[reference]["id"]]


async def test_the_queue_page_filters_flags_and_decides_with_htmx(residents):
    a = await residents.ask(contact_phone="+86 137 2222 3333", consent=True)
    b = await residents.by_phone(contact_phone="137 2222 3333", consent=True)
    c = await residents.ask(category="shelter", description="Tent needed")
    client = await signed_in_official(residents)
    page = await client.get("/help-requests", follow_redirects=True)
    assert page.status_code == 200
    assert all(r["reference"] in page.text for r in (a, b, c))
    assert f'href="#req-{b["id"]}"' in page.text  # a's likely duplicate
    assert "+86 137 2222 3333" in page.text  # staff see the contact they need to call back
    shelter = await client.get(
        "/help-requests",
        params={"incident_id": residents.incident_id, "category": "shelter"},
        headers=HX,
    )
    assert c["reference"] in shelter.text and a["reference"] not in shelter.text
    assert "<html" not in shelter.text
    token = await csrf_token(client, "/help/operator")
    merged = await client.post(
        f"/help-requests/{b['id']}/merge",
        data={"csrftoken": token, "into_id": str(a["id"])},
        headers=HX,
    )
    assert merged.status_code == 200, merged.text
    assert merged.text.lstrip().startswith(f'<article class="card request" id="req-{b["id"]}"')
    assert "Joined with another request" in merged.text
    refused = await client.post(
        f"/help-requests/{a['id']}/convert",
        data={"csrftoken": token, "title": "Food", "quantity": "2", "unit": "parcels"},
        headers=HX,
    )
    assert refused.status_code == 422
    assert "needed-by date" in refused.text
    needed_by = (clock.today("Asia/Shanghai") + timedelta(days=3)).isoformat()
    converted = await client.post(
        f"/help-requests/{a['id']}/convert",
        data={"csrftoken": token, "title": "Food", "quantity": "2", "unit": "parcels",
              "needed_by": needed_by, "priority": "high"},
        headers=HX,
    )  # fmt: skip
    assert converted.status_code == 200
    assert "Help is being organized" in converted.text and "/needs/" in converted.text
    # Without htmx a decision redirects back to the queue.
    plain = await client.post(
        f"/help-requests/{c['id']}/reject",
        data={"csrftoken": token, "reason": "Outside the flood area"},
    )
    assert plain.status_code == 303
    assert f"incident_id={residents.incident_id}" in plain.headers["location"]
    rejected = await client.get(
        "/help-requests", params={"incident_id": residents.incident_id, "status": "rejected"}
    )
    assert c["reference"] in rejected.text and a["reference"] not in rejected.text


async def test_ngos_see_the_queue_but_only_officials_decide(residents):
    await residents.ask()
    await sign_in(residents.client, residents.ngo_user.email)
    page = await residents.client.get(
        "/help-requests", params={"incident_id": residents.incident_id}
    )
    assert page.status_code == 200
    assert "Verify" not in page.text
    anonymous_client = residents.client
    anonymous_client.cookies.clear()
    assert (await anonymous_client.get("/help-requests")).status_code in (302, 303)


async def test_queue_and_operator_pages_render_in_chinese(residents):
    await residents.ask()
    client = await signed_in_official(residents)
    zh = {"Accept-Language": "zh-CN"}
    queue = await client.get(
        "/help-requests", params={"incident_id": residents.incident_id}, headers=zh
    )
    assert "求助请求" in queue.text and "核验" in queue.text
    operator = await client.get("/help/operator", headers=zh)
    assert "记录来电" in operator.text


async def test_the_convert_form_starts_the_public_title_without_the_requesters_words(residents):
    await residents.ask(description="Mrs Zhang in flat 301 needs insulin", category="health")
    client = await signed_in_official(residents)
    page = await client.get(f"/help-requests?incident_id={residents.incident_id}")
    assert page.status_code == 200
    title = re.search(r'<input name="title" maxlength="200" value="([^"]*)"', page.text).group(1)
    assert title == "Health · Willow Village"
    assert "Zhang" not in title and "301" not in title
