"""Fundraising activities: gifts name the appeal they came through, and each activity has its
own disclosure schedule (Order 81: one record per fundraising activity), on the supervision
board when overdue, with figures of what it raised and how that was used."""

from datetime import date, timedelta

import pytest

from core import clock
from tests.donations.test_disclosures import at, board_disclosures
from tests.donations.test_money import disburse, receive
from tests.donations.test_pages import browser

pytestmark = pytest.mark.asyncio


async def register(client, world, **overrides):
    body = {
        "incident_id": world.incident.id,
        "title": "Warm homes for Willow",
        "record_number": "53100000MJ0001",
        "starts_on": "2026-11-05",
        "ends_on": "2027-08-04",
        "goal_minor": 10_000_000,
        "currency": "CNY",
    }
    return await client.post(
        "/api/v1/fundraising-activities", json=body | overrides, headers=world.headers["official"]
    )


async def rows(client, world) -> list[dict]:
    """The activities' disclosure calendar; the projects' is `/api/v1/disclosures`."""
    response = await client.get(
        f"/api/v1/fundraising-activities/disclosures?incident_id={world.incident.id}"
    )
    assert response.status_code == 200
    projects = await client.get(f"/api/v1/disclosures?incident_id={world.incident.id}")
    assert all(row["project_id"] is not None for row in projects.json()["items"])
    return response.json()["items"]


async def test_activity_raises_gifts_and_discloses_on_its_own_calendar(client, world):
    clock.set_clock(at(date(2026, 11, 10)), ticking=False)
    activity = await register(client, world)
    assert activity.status_code == 201, activity.text
    activity = activity.json()
    assert activity["organization_id"] == world.official.organization_id
    gift = await client.post(
        "/api/v1/donations",
        json={
            "incident_id": world.incident.id,
            "amount_minor": 30_000,
            "currency": "CNY",
            "fundraising_id": activity["id"],
        },
        headers=world.headers["donor"],
    )
    assert gift.status_code == 201 and gift.json()["fundraising_id"] == activity["id"]
    await receive(client, world, gift.json()["id"], "BANK-1")
    cash = await client.post(
        "/api/v1/receipts",
        json={
            "incident_id": world.incident.id,
            "amount_minor": 5_000,
            "currency": "CNY",
            "reference": "BOX-1",
            "channel": "cash",
            "fundraising_id": activity["id"],
        },
        headers=world.headers["official"],
    )
    assert cash.status_code == 201
    # The activity does not restrict its gifts: the general fund pays for the project.
    assert (await disburse(client, world, 20_000)).status_code == 201
    listed = await client.get(f"/api/v1/fundraising-activities?incident_id={world.incident.id}")
    assert listed.json()["items"][0]["raised_minor"] == 35_000
    assert listed.json()["items"][0]["gifts"] == 2

    # Nine months: a disclosure at least every three months while it runs.
    (row,) = await rows(client, world)
    assert row["fundraising_id"] == activity["id"] and row["schedule"] == "quarterly"
    assert (row["status"], row["due_on"]) == ("due", "2027-02-05")
    assert row["final_due_on"] == "2027-11-04"

    # Past the quarter, the activity's disclosure is overdue on the board under its organizer.
    clock.set_clock(at(date(2027, 2, 6)), ticking=False)
    board = await board_disclosures(client, world)
    assert [i["title"] for i in board["Recovery Office"]] == ["Warm homes for Willow"]
    published = await client.post(
        f"/api/v1/fundraising-activities/{activity['id']}/disclosures",
        json={"period_start": "2026-11-05", "period_end": "2027-02-04", "body_markdown": "Q1"},
        headers=world.headers["official"],
    )
    assert published.status_code == 201, published.text
    figures = published.json()["figures"]
    assert figures["gifts"] == 2
    (cny,) = figures["by_currency"]
    assert (cny["received_minor"], cny["used_minor"], cny["unspent_to_date_minor"]) == (
        35_000,
        20_000,
        15_000,
    )
    assert published.json()["fundraising_id"] == activity["id"]
    assert "Recovery Office" not in await board_disclosures(client, world)
    (row,) = await rows(client, world)
    assert (row["status"], row["due_on"]) == ("published", "2027-05-04")
    # A correction names a disclosure of the same activity, never a project's.
    project_row = await client.post(
        f"/api/v1/fundraising-activities/{activity['id']}/disclosures",
        json={"period_start": "2026-11-05", "period_end": "2027-02-04", "corrects_id": 999999},
        headers=world.headers["official"],
    )
    assert project_row.status_code == 422
    assert "corrects_id" in project_row.json()["error"]["fields"]


async def test_bad_activities_and_foreign_ones_are_refused_by_field(client, world):
    backwards = await register(client, world, ends_on="2026-11-01")
    assert backwards.status_code == 422 and "ends_on" in backwards.json()["error"]["fields"]
    pending = await register(client, world, organization_id=424242)
    assert pending.status_code == 422
    assert "organization_id" in pending.json()["error"]["fields"]
    elsewhere = (await register(client, world, incident_id=world.other_incident.id)).json()
    gift = await client.post(
        "/api/v1/donations",
        json={
            "incident_id": world.incident.id,
            "amount_minor": 100,
            "currency": "CNY",
            "fundraising_id": elsewhere["id"],
        },
        headers=world.headers["donor"],
    )
    assert gift.status_code == 422 and "fundraising_id" in gift.json()["error"]["fields"]
    assert (await register(client, world, title="x")).status_code == 201
    by_donor = await client.post(
        "/api/v1/fundraising-activities",
        json={
            "incident_id": world.incident.id,
            "title": "Mine",
            "starts_on": "2026-11-05",
            "ends_on": "2026-12-05",
            "currency": "CNY",
        },
        headers=world.headers["donor"],
    )
    assert by_donor.status_code == 403


async def test_official_registers_an_activity_on_the_disclosures_page(client, world):
    token = await browser(client, world.official, f"/incidents/{world.incident.id}/disclosures")
    url = f"/incidents/{world.incident.id}/fundraising-activities"
    today = clock.today()
    form = {
        "title": "Winter appeal",
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=90)).isoformat(),
        "goal": "5,000",
        "currency": "CNY",
        "csrftoken": token,
    }
    bad = await client.post(url, data=form | {"goal": "much"}, headers={"HX-Request": "true"})
    assert bad.status_code == 422
    assert 'id="fundraising"' in bad.text and 'id="e-goal"' in bad.text and "<html" not in bad.text
    assert 'value="Winter appeal"' in bad.text
    zh = await client.post(
        url, data=form | {"title": ""}, headers={"HX-Request": "true", "Accept-Language": "zh-CN"}
    )
    assert zh.status_code == 422 and "登记募捐活动" in zh.text
    assert (await client.post(url, data=form)).status_code == 303
    page = await client.get(f"/incidents/{world.incident.id}/disclosures")
    assert "Winter appeal" in page.text and "fundraising activity" in page.text
    listed = await client.get(f"/api/v1/fundraising-activities?incident_id={world.incident.id}")
    assert listed.json()["items"][0]["goal_minor"] == 500_000
    activity_id = listed.json()["items"][0]["id"]
    publish = f"/fundraising-activities/{activity_id}/disclosures"
    future = await client.post(
        publish,
        data={
            "period_start": today.isoformat(),
            "period_end": (today + timedelta(days=5)).isoformat(),
            "csrftoken": token,
        },
        headers={"HX-Request": "true"},
    )
    assert future.status_code == 422 and 'id="e-period_end"' in future.text


async def test_donor_gives_in_answer_to_an_appeal_in_the_browser(client, world):
    activity = (await register(client, world)).json()
    token = await browser(client, world.donor, f"/give?incident_id={world.incident.id}")
    page = await client.get(f"/give?incident_id={world.incident.id}")
    assert "Warm homes for Willow" in page.text
    form = {
        "incident_id": str(world.incident.id),
        "amount": "88.00",
        "currency": "CNY",
        "fundraising_id": str(activity["id"]),
        "idempotency_key": "appeal-1",
        "csrftoken": token,
    }
    assert (await client.post("/give", data=form)).status_code == 303
    mine = (await client.get("/api/v1/donations", headers=world.headers["donor"])).json()
    assert mine["items"][0]["fundraising_id"] == activity["id"]


async def test_short_activity_discloses_once_within_three_months_of_its_end(client, world):
    clock.set_clock(at(date(2026, 3, 20)), ticking=False)
    two_months = {"starts_on": "2026-03-20", "ends_on": "2026-05-19"}
    activity = (await register(client, world, **two_months)).json()
    (row,) = await rows(client, world)
    assert (row["schedule"], row["status"], row["due_on"]) == ("at_end", "due", "2026-08-19")
    # No quarterly entry falls due while it runs.
    clock.set_clock(at(date(2026, 8, 19)), ticking=False)
    assert (await rows(client, world))[0]["status"] == "due"
    assert "Recovery Office" not in await board_disclosures(client, world)
    clock.set_clock(at(date(2026, 8, 20)), ticking=False)
    assert (await rows(client, world))[0]["status"] == "overdue"
    assert "Recovery Office" in await board_disclosures(client, world)
    final = await client.post(
        f"/api/v1/fundraising-activities/{activity['id']}/disclosures",
        json={"period_start": "2026-03-20", "period_end": "2026-05-19", "body_markdown": "All"},
        headers=world.headers["official"],
    )
    assert final.status_code == 201, final.text
    (row,) = await rows(client, world)
    assert (row["status"], row["final"], row["due_on"]) == ("published", True, None)
