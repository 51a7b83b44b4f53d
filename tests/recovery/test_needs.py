"""Needs: validation, permissions, status derived from quantity met, filters, history, htmx."""

import pytest

from core import clock
from core.models import Role
from recovery.schemas import NeedUpdate
from recovery.service import record_fulfilment
from recovery.service.needs import update_need
from tests.conftest import csrf_token, sign_in

pytestmark = pytest.mark.asyncio


async def test_official_logs_need_with_derived_status(client, setup):
    need = await setup.need()
    assert need["status"] == "open" and need["quantity_met"] == 0
    assert need["area_id"] == setup.village["id"]
    fetched = await client.get(f"/api/v1/needs/{need['id']}")
    assert fetched.status_code == 200 and fetched.json()["title"] == "Family tents"


async def test_need_without_coordinates_sits_at_its_area(setup):
    need = await setup.need(lat=None, lon=None)
    assert (need["lat"], need["lon"]) == (setup.village["lat"], setup.village["lon"])


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"quantity": 0}, "quantity"),
        ({"quantity": -3}, "quantity"),
        ({"quantity": 2.5}, "quantity"),
        ({"unit": ""}, "unit"),
        ({"unit": None}, "unit"),
        ({"lat": 90.5}, "lat"),
        ({"lon": 200}, "lon"),
        ({"category": "toys"}, "category"),
        ({"priority": "urgent"}, "priority"),
        ({"needed_by": "tomorrow"}, "needed_by"),
        ({"area_id": None, "lat": None, "lon": None}, "lat"),
        ({"area_id": 999999}, "area_id"),
    ],
)
async def test_bad_need_input_is_refused_naming_the_field(client, setup, overrides, field):
    response = await client.post(
        "/api/v1/needs", json=setup.need_body(**overrides), headers=setup.headers
    )
    assert 400 <= response.status_code < 500
    assert field in response.json()["error"]["fields"]


async def test_volunteer_and_ngo_cannot_create_needs(client, factory, setup):
    for role in (Role.volunteer, Role.ngo, Role.donor):
        user = await factory.user(role)
        response = await client.post(
            "/api/v1/needs", json=setup.need_body(), headers=await factory.token(user)
        )
        assert response.status_code == 403, role
    assert (await client.post("/api/v1/needs", json=setup.need_body())).status_code == 401
    assert (await client.get("/api/v1/needs")).json()["total"] == 0


async def test_status_follows_quantity_met_through_edits(client, db, setup):
    need = await setup.need(quantity=10)
    await record_fulfilment(db, need["id"], 4, actor=None, source="test")
    await db.commit()
    assert (await client.get(f"/api/v1/needs/{need['id']}")).json()["status"] == "partially_met"
    path = f"/api/v1/needs/{need['id']}"
    response = await client.patch(path, json={"quantity": 4}, headers=setup.headers)
    assert response.json()["status"] == "met"
    response = await client.patch(path, json={"quantity": 8}, headers=setup.headers)
    assert response.json()["status"] == "partially_met"
    response = await client.patch(path, json={"quantity_met": 0}, headers=setup.headers)
    assert response.json()["status"] == "open"
    response = await client.patch(
        path, json={"quantity": 3, "quantity_met": 5}, headers=setup.headers
    )
    assert response.status_code == 422
    assert "quantity_met" in response.json()["error"]["fields"]


async def test_official_closes_cancels_and_reopens(client, db, setup):
    need = await setup.need(quantity=10)
    path = f"/api/v1/needs/{need['id']}"
    closed = await client.patch(path, json={"status": "closed"}, headers=setup.headers)
    assert closed.json()["status"] == "closed"
    # A closed need stays closed when its quantities change, and takes no fulfilment.
    still = await client.patch(path, json={"quantity": 12}, headers=setup.headers)
    assert still.json()["status"] == "closed"
    with pytest.raises(Exception) as failure:
        await record_fulfilment(db, need["id"], 1, actor=None, source="test")
    assert getattr(failure.value, "status_code", None) == 409
    await db.rollback()
    reopened = await client.patch(path, json={"status": "open"}, headers=setup.headers)
    assert reopened.json()["status"] == "open"
    cancelled = await client.patch(path, json={"status": "cancelled"}, headers=setup.headers)
    assert cancelled.json()["status"] == "cancelled"
    bad = await client.patch(path, json={"status": "met"}, headers=setup.headers)
    assert bad.status_code == 422 and "status" in bad.json()["error"]["fields"]


async def test_service_refuses_non_officials(db, factory, setup):
    need = await setup.need()
    volunteer = await factory.user(Role.volunteer)
    with pytest.raises(Exception) as failure:
        await update_need(db, need["id"], NeedUpdate(title="x"), actor=volunteer)
    assert failure.value.status_code == 403


async def test_list_filters_by_incident_area_category_priority_status(client, setup):
    await setup.need(title="Tents", category="shelter", priority="high")
    await setup.need(title="Water", category="water_sanitation", priority="critical")
    await setup.need(
        title="County food", category="food", priority="low", area_id=setup.county["id"]
    )
    base = f"/api/v1/needs?incident_id={setup.incident['id']}"
    everything = (await client.get(base)).json()
    assert everything["total"] == 3
    assert [n["title"] for n in everything["items"]][0] == "Water"  # critical first
    by_category = (await client.get(base + "&category=shelter")).json()
    assert [n["title"] for n in by_category["items"]] == ["Tents"]
    by_priority = (await client.get(base + "&priority=low")).json()
    assert [n["title"] for n in by_priority["items"]] == ["County food"]
    # A township's filter includes its villages, not the county above it.
    in_township = (await client.get(base + f"&area_id={setup.township['id']}")).json()
    assert {n["title"] for n in in_township["items"]} == {"Tents", "Water"}
    by_status = (await client.get(base + "&status=met")).json()
    assert by_status["total"] == 0
    paged = (await client.get(base + "&limit=1&offset=1")).json()
    assert paged["total"] == 3 and len(paged["items"]) == 1
    bad = await client.get(base + "&category=toys")
    assert bad.status_code == 422 and "category" in bad.json()["error"]["fields"]


async def test_need_list_page_filters_with_htmx_and_keeps_url(client, setup):
    await setup.need(title="Tents", category="shelter")
    await setup.need(title="Water", category="water_sanitation")
    url = f"/needs?incident_id={setup.incident['id']}&category=shelter"
    full = await client.get(url)
    assert full.status_code == 200 and "<html" in full.text
    assert "Tents" in full.text and "Water</a>" not in full.text
    fragment = await client.get(url, headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and "Tents" in fragment.text
    assert 'hx-push-url="true"' in fragment.text


async def test_need_page_shows_history_and_inline_edit(client, factory, setup):
    need = await setup.need()
    await factory.user(Role.official, org="Recovery Office", email="o2@example.org")
    await sign_in(client, "o2@example.org")
    page = await client.get(f"/needs/{need['id']}")
    assert "History" in page.text and "created" in page.text
    form = await client.get(f"/needs/{need['id']}/edit", headers={"HX-Request": "true"})
    assert form.status_code == 200 and 'name="quantity"' in form.text
    token = await csrf_token(client, f"/needs/{need['id']}")
    data = {
        "csrftoken": token,
        "title": "Family tents (large)",
        "category": "shelter",
        "priority": "critical",
        "quantity": "50",
        "unit": "tents",
        "needed_by": need["needed_by"],
        "area_id": str(setup.village["id"]),
        "lat": "30.63",
        "lon": "114.33",
        "quantity_met": "0",
        "status": "open",
    }
    saved = await client.post(
        f"/needs/{need['id']}/edit", data=data, headers={"HX-Request": "true"}
    )
    assert saved.status_code == 200
    assert "Family tents (large)" in saved.text and "<html" not in saved.text
    assert "40" in saved.text and "50" in saved.text  # the history shows before and after
    bad = await client.post(
        f"/needs/{need['id']}/edit", data=data | {"quantity": "0"}, headers={"HX-Request": "true"}
    )
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.text
    # Without JavaScript the form posts and comes back to the need's page.
    plain = await client.post(f"/needs/{need['id']}/edit", data=data | {"unit": "big tents"})
    assert plain.status_code == 303


async def test_public_sees_need_page_without_edit_controls(client, setup):
    need = await setup.need()
    page = await client.get(f"/needs/{need['id']}")
    assert page.status_code == 200 and "Family tents" in page.text
    assert f"/needs/{need['id']}/edit" not in page.text
    assert (await client.get(f"/needs/{need['id']}/edit")).status_code == 303  # to sign-in


async def test_volunteer_cannot_log_need_in_the_browser(client, factory, setup):
    await factory.user(Role.volunteer, email="v@example.org")
    await sign_in(client, "v@example.org")
    token = await csrf_token(client, "/needs")
    response = await client.post(
        "/manage/needs/new", data={"csrftoken": token, **setup.need_body(area_id="")}
    )
    assert response.status_code == 403


async def test_official_logs_need_in_the_browser(client, factory, setup):
    await factory.user(Role.official, org="Recovery Office", email="o3@example.org")
    await sign_in(client, "o3@example.org")
    token = await csrf_token(client, "/manage/needs/new")
    body = {k: str(v) for k, v in setup.need_body().items()}
    bad = await client.post(
        "/manage/needs/new",
        data={"csrftoken": token, **body, "unit": ""},
        headers={"HX-Request": "true"},
    )
    assert bad.status_code == 422 and "e-unit" in bad.text
    good = await client.post("/manage/needs/new", data={"csrftoken": token, **body})
    assert good.status_code == 303 and "/needs/" in good.headers["location"]


async def test_need_list_marks_needs_past_their_date(client, setup):
    from datetime import timedelta

    await setup.need(
        title="Late tents", needed_by=(clock.today("Asia/Shanghai") - timedelta(days=3)).isoformat()
    )
    page = await client.get(f"/needs?incident_id={setup.incident['id']}")
    row = page.text.split("Late tents", 1)[1].split("</tr>", 1)[0]
    assert "badge overdue" in row
