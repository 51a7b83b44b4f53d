"""Disclosures on the law's calendar, and the issue's end-to-end "done when": two gifts, one
pledged and one not, two disbursements, exact trails, and a quarterly disclosure that goes
overdue on the supervision board when its date passes and leaves it once published."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from core import clock
from core.models import OutboxMessage
from donations.service.disclosures import add_months
from recovery.models import Project
from recovery.service.reminders import queue_reminders
from tests.donations.test_allocations import _check as check_invariants
from tests.donations.test_allocations import trail_of
from tests.donations.test_money import disburse, pledge, receive
from tests.donations.test_pages import browser

pytestmark = pytest.mark.asyncio


def at(day: date) -> datetime:
    # 10:00 in Shanghai: the same calendar day in UTC and in the incident's zone.
    return datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)


async def calendar(client, world) -> dict:
    response = await client.get(f"/api/v1/disclosures?incident_id={world.incident.id}")
    assert response.status_code == 200
    return {row["project_id"]: row for row in response.json()["items"]}


async def publish(client, world, start: date, end: date, **extra):
    return await client.post(
        f"/api/v1/projects/{world.project.id}/disclosures",
        json={"period_start": start.isoformat(), "period_end": end.isoformat(),
              "body_markdown": "Quarter report", **extra},
        headers=world.headers["official"],
    )  # fmt: skip


async def board_disclosures(client, world) -> dict[str, list]:
    response = await client.get(
        f"/api/v1/supervision?incident_id={world.incident.id}", headers=world.headers["official"]
    )
    assert response.status_code == 200
    return {
        group["organization_name"]: group["overdue_disclosures"]
        for group in response.json()["organizations"]
        if group["overdue_disclosures"]
    }


async def test_months_are_added_on_the_calendar():
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2026, 3, 11), 3) == date(2026, 6, 11)


async def lengthen(world, days: int) -> None:
    """Make the school project run `days` from its start."""
    async with world.database.transaction() as session:
        project = await session.get(Project, world.project.id)
        project.due_on = project.starts_on + timedelta(days=days)
    world.project.due_on = world.project.starts_on + timedelta(days=days)


async def board_page(client, world) -> str:
    await browser(client, world.official, "/supervision")
    page = await client.get(f"/supervision?incident_id={world.incident.id}")
    assert page.status_code == 200
    client.cookies.clear()  # the API calls that follow carry their own bearer tokens
    return page.text


async def test_issue_done_when(client, world, app, settings):
    """The issue's story, on whichever engine the suite runs (SQLite, or PostgreSQL with
    TEST_DATABASE_URL): two gifts of one donor, one restricted and pledged, one to the
    general fund and recorded without a pledge; two disbursements; each gift's trail shows
    exactly what it paid for; the first quarterly disclosure of a nine-month project goes
    overdue on the supervision board with the clock, and leaves it once published; and the
    invariants of the property test hold over the rows it left."""
    await lengthen(world, 270)
    project = world.project
    # A donor gives twice: once restricted to the school (pledged, then received) ...
    school_gift = (
        await pledge(client, world, amount_minor=60_000, project_id=project.id,
                     public_name="Ma Lin")
    ).json()  # fmt: skip
    assert (await receive(client, world, school_gift["id"], "BANK-1")).status_code == 200
    # ... and once to the general fund: a bank transfer with no pledge, which the official
    # records with the donor's name (kept private).
    general_gift = await client.post(
        "/api/v1/receipts",
        json={"incident_id": world.incident.id, "amount_minor": 40_000, "currency": "CNY",
              "reference": "TRANSFER-2", "donor_name": "Ma Lin"},
        headers=world.headers["official"],
    )  # fmt: skip
    assert general_gift.status_code == 201
    general_id = general_gift.json()["id"]
    assert general_gift.json()["channel"] == "bank_transfer"
    # Two disbursements: the school's roof (more than its own gift), then tents for a need.
    roof = await disburse(
        client, world, 70_000, description="Roof tiles",
        payee_name="Hengda Building Supplies", payee_kind="organization",
    )  # fmt: skip
    tents = await disburse(
        client, world, 25_000, project_id=None, need_id=world.needs[1].id, description="Tents"
    )
    assert roof.status_code == tents.status_code == 201
    school = await trail_of(client, world, school_gift["id"])
    general = await trail_of(client, world, general_id, "official")
    # The restricted gift paid for its project only; the general fund topped up the roof.
    assert [
        (a["disbursement_id"], a["amount_minor"], a["purpose"]) for a in school["allocations"]
    ] == [(roof.json()["id"], 60_000, "Rebuild Willow school")]
    assert (school["received_minor"], school["unspent_minor"]) == (60_000, 0)
    assert school["allocations"][0]["payee"] == "Hengda Building Supplies"
    assert [
        (a["disbursement_id"], a["amount_minor"], a["purpose"]) for a in general["allocations"]
    ] == [
        (roof.json()["id"], 10_000, "Rebuild Willow school"),
        (tents.json()["id"], 25_000, "Tents"),
    ]
    assert general["received_minor"] == 40_000 and general["unspent_minor"] == 5_000
    # The restricted gift's trail is public (it is named); the unnamed receipt's is not.
    assert (await client.get(f"/api/v1/donations/{school_gift['id']}/trail")).status_code == 200
    assert (await client.get(f"/api/v1/donations/{general_id}/trail")).status_code == 401
    gift_page = await client.get(f"/donations/{school_gift['id']}")
    assert gift_page.status_code == 200 and "Rebuild Willow school" in gift_page.text
    assert "paid to Hengda Building Supplies" in gift_page.text

    # The first quarterly disclosure falls due three months after the project starts.
    due = add_months(project.starts_on, 3)
    row = (await calendar(client, world))[project.id]
    assert (row["schedule"], row["status"], row["due_on"]) == ("quarterly", "due", due.isoformat())
    assert await board_disclosures(client, world) == {}

    clock.set_clock(at(due), ticking=True)
    assert (await calendar(client, world))[project.id]["status"] == "due"
    clock.set_clock(at(due + timedelta(days=1)), ticking=True)
    assert (await calendar(client, world))[project.id]["status"] == "overdue"
    late = await board_disclosures(client, world)
    assert list(late) == ["Red Cross Riverside"]  # the project's lead organization
    assert late["Red Cross Riverside"][0]["project_id"] == project.id
    assert late["Red Cross Riverside"][0]["days_late"] == 1
    assert "Disclosure of Rebuild Willow school" in await board_page(client, world)
    async with app.state.database.transaction() as session:
        assert await queue_reminders(session, settings) >= 1
    async with app.state.database.session(write=False) as session:
        messages = list(await session.scalars(select(OutboxMessage)))
    reminder = next(m for m in messages if m.to_email == world.ngo.email)
    assert "Rebuild Willow school" in reminder.body and "disclosure" in reminder.subject

    published = await publish(client, world, project.starts_on, due)
    assert published.status_code == 201, published.text
    figures = published.json()["figures"]["by_currency"][0]
    assert (figures["received_minor"], figures["disbursed_minor"]) == (60_000, 70_000)
    assert (figures["from_restricted_minor"], figures["from_general_fund_minor"]) == (
        60_000,
        10_000,
    )
    assert await board_disclosures(client, world) == {}
    assert "Disclosure of Rebuild Willow school" not in await board_page(client, world)
    row = (await calendar(client, world))[project.id]
    assert row["status"] == "published"
    assert row["due_on"] == add_months(due, 3).isoformat()
    # The property test's invariants hold over the rows the story left.
    await check_invariants(app, {"incident_id": world.incident.id})


async def test_a_four_month_project_discloses_after_its_first_quarter(client, world):
    # The Charity Law asks quarterly entries of runs over six months; every run gets them here.
    project = world.project  # 125 days
    first = add_months(project.starts_on, 3)
    row = (await calendar(client, world))[project.id]
    assert (row["schedule"], row["due_on"]) == ("quarterly", first.isoformat())
    assert row["final_due_on"] == add_months(project.due_on, 3).isoformat()
    clock.set_clock(at(first + timedelta(days=1)), ticking=True)
    assert (await calendar(client, world))[project.id]["status"] == "overdue"
    assert list(await board_disclosures(client, world)) == ["Red Cross Riverside"]


async def test_short_project_discloses_in_full_within_three_months_of_its_end(client, world):
    await lengthen(world, 60)
    project = world.project  # two months: no quarter passes while it runs
    final_due = add_months(project.due_on, 3)
    row = (await calendar(client, world))[project.id]
    assert (row["schedule"], row["due_on"], row["final_due_on"]) == (
        "at_end", final_due.isoformat(), final_due.isoformat(),
    )  # fmt: skip
    clock.set_clock(at(project.due_on + timedelta(days=10)), ticking=True)
    assert (await calendar(client, world))[project.id]["status"] == "due"
    assert await board_disclosures(client, world) == {}
    clock.set_clock(at(final_due + timedelta(days=1)), ticking=True)
    assert (await calendar(client, world))[project.id]["status"] == "overdue"
    assert list(await board_disclosures(client, world)) == ["Red Cross Riverside"]
    # The form offers the whole run, up to the end, as the period.
    row = (await calendar(client, world))[project.id]
    assert row["next_period_start"] == project.starts_on.isoformat()
    assert row["next_period_end"] == project.due_on.isoformat()
    await browser(client, world.official, f"/incidents/{world.incident.id}/disclosures")
    page = await client.get(f"/incidents/{world.incident.id}/disclosures")
    assert f'value="{project.due_on.isoformat()}"' in page.text
    assert "within three months of the end" in page.text
    client.cookies.clear()
    final = await publish(client, world, project.starts_on, project.due_on)
    assert final.status_code == 201, final.text
    row = (await calendar(client, world))[project.id]
    assert (row["status"], row["final"], row["due_on"]) == ("published", True, None)


async def test_correction_names_what_it_corrects_and_final_closes_the_calendar(client, world):
    project = world.project
    first = (await publish(client, world, project.starts_on, date(2026, 3, 15))).json()
    fix = await publish(
        client, world, project.starts_on, date(2026, 3, 15), corrects_id=first["id"]
    )
    assert fix.status_code == 201
    assert fix.json()["corrects_id"] == first["id"]
    row = (await calendar(client, world))[project.id]
    assert row["disclosure_id"] == first["id"]
    assert row["corrections"] == [
        {"id": fix.json()["id"], "corrects_id": first["id"], "published_on": "2026-03-16"}
    ]
    # The next quarter is due three months after the period disclosed, while the project
    # runs; past it the calendar says overdue, and the final one in full closes it.
    row = (await calendar(client, world))[project.id]
    assert row["due_on"] == add_months(date(2026, 3, 15), 3).isoformat()
    clock.set_clock(at(project.due_on + timedelta(days=10)), ticking=True)
    assert (await calendar(client, world))[project.id]["status"] == "overdue"
    final = await publish(client, world, date(2026, 3, 16), project.due_on)
    assert final.status_code == 201
    row = (await calendar(client, world))[project.id]
    assert (row["status"], row["final"], row["due_on"]) == ("published", True, None)
    page = await client.get(f"/incidents/{world.incident.id}/disclosures")
    assert page.status_code == 200
    assert "Rebuild Willow school" in page.text
    assert f"Corrects disclosure #{first['id']}." in page.text


async def test_bad_disclosures_name_the_field(client, world):
    project = world.project
    backwards = await publish(client, world, date(2026, 3, 10), date(2026, 3, 1))
    assert backwards.status_code == 422 and "period_end" in backwards.json()["error"]["fields"]
    future = await publish(client, world, project.starts_on, date(2027, 1, 1))
    assert future.status_code == 422 and "period_end" in future.json()["error"]["fields"]
    wrong = await publish(client, world, project.starts_on, date(2026, 3, 15), corrects_id=999)
    assert wrong.status_code == 422 and "corrects_id" in wrong.json()["error"]["fields"]
    before = await publish(client, world, project.starts_on - timedelta(days=30), date(2026, 3, 1))
    assert before.status_code == 422
    assert "before it started" in before.json()["error"]["fields"]["period_start"]
    first = await publish(client, world, project.starts_on, date(2026, 3, 15))
    assert first.status_code == 201
    again = await publish(client, world, date(2026, 3, 12), date(2026, 3, 14))
    assert again.status_code == 422
    assert "overlaps the disclosure" in again.json()["error"]["fields"]["period_start"]
    # A changed figure for the same days goes in as a correction of the first.
    fixed = await publish(
        client, world, project.starts_on, date(2026, 3, 15), corrects_id=first.json()["id"]
    )
    assert fixed.status_code == 201
    by_ngo = await client.post(
        f"/api/v1/projects/{project.id}/disclosures",
        json={"period_start": "2026-03-01", "period_end": "2026-03-02"},
        headers=world.headers["ngo"],
    )
    assert by_ngo.status_code == 403


async def test_publish_forms_refuse_in_place_and_publish(client, world):
    token = await browser(client, world.official, f"/incidents/{world.incident.id}/disclosures")
    url = f"/projects/{world.project.id}/disclosures"
    backwards = await client.post(
        url, data={"csrftoken": token, "period_start": "2026-03-14", "period_end": "2026-03-12"},
        headers={"HX-Request": "true"},
    )  # fmt: skip
    assert backwards.status_code == 422
    assert 'id="calendar"' in backwards.text and 'id="e-period_end"' in backwards.text
    done = await client.post(
        url, data={"csrftoken": token, "period_start": world.project.starts_on.isoformat(),
                   "period_end": "2026-03-15", "body_markdown": "Interim"},
    )  # fmt: skip
    assert done.status_code == 303, done.text
    page = await client.get(f"/incidents/{world.incident.id}/disclosures")
    assert "Interim" in page.text
