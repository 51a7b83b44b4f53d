"""Attendance and hours, the iCalendar feeds, the certificate, shift changes and cancellation."""

from datetime import UTC, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select, update

import core.fonts
import core.pdf
from core import worker
from core.clock import utcnow
from core.models import AuditEntry, OutboxMessage, Role
from volunteers.models import Certificate, Shift

pytestmark = pytest.mark.asyncio


async def _move_to_past(db, shift_id, hours_ago=6, length=4):
    start = utcnow() - timedelta(hours=hours_ago)
    await db.execute(
        update(Shift)
        .where(Shift.id == shift_id)
        .values(starts_at=start, ends_at=start + timedelta(hours=length))
    )
    await db.commit()
    return start


async def test_attendance_sums_hours_on_the_volunteer(client, shifts, volunteer, organizer, db):
    shift = await shifts.make(capacity=3)
    await client.post(f"/api/v1/shifts/{shift['id']}/signup", headers=volunteer[1])
    start = await _move_to_past(db, shift["id"])
    body = {
        "volunteer_id": volunteer[0].id,
        "checked_in_at": start.isoformat(),
        "checked_out_at": (start + timedelta(hours=3, minutes=30)).isoformat(),
    }
    response = await client.post(
        f"/api/v1/shifts/{shift['id']}/attendance", json=body, headers=organizer[1]
    )
    assert response.status_code == 200, response.text
    assert response.json()["hours"] == 3.5 and response.json()["total_hours"] == 3.5
    me = (await client.get("/api/v1/volunteers/me", headers=volunteer[1])).json()
    assert me["hours"] == 3.5
    # Recording again corrects rather than adds.
    body["checked_out_at"] = (start + timedelta(hours=2)).isoformat()
    await client.post(f"/api/v1/shifts/{shift['id']}/attendance", json=body, headers=organizer[1])
    assert (await client.get("/api/v1/volunteers/me", headers=volunteer[1])).json()["hours"] == 2
    no_show = {"volunteer_id": volunteer[0].id, "status": "no_show"}
    answer = await client.post(
        f"/api/v1/shifts/{shift['id']}/attendance", json=no_show, headers=organizer[1]
    )
    assert answer.json()["hours"] == 0 and answer.json()["attendance"] == "no_show"


async def test_attendance_rules(client, factory, shifts, volunteer, organizer, db):
    shift = await shifts.make(capacity=3)
    await client.post(f"/api/v1/shifts/{shift['id']}/signup", headers=volunteer[1])
    start = await _move_to_past(db, shift["id"])
    url = f"/api/v1/shifts/{shift['id']}/attendance"
    backwards = {
        "volunteer_id": volunteer[0].id,
        "checked_in_at": start.isoformat(),
        "checked_out_at": (start - timedelta(hours=1)).isoformat(),
    }
    assert (await client.post(url, json=backwards, headers=organizer[1])).status_code == 422
    future = {
        "volunteer_id": volunteer[0].id,
        "checked_in_at": start.isoformat(),
        "checked_out_at": (utcnow() + timedelta(hours=2)).isoformat(),
    }
    assert (await client.post(url, json=future, headers=organizer[1])).status_code == 422
    stranger = await factory.user(Role.volunteer)
    body = {**backwards, "volunteer_id": stranger.id}
    body["checked_out_at"] = (start + timedelta(hours=1)).isoformat()
    assert (await client.post(url, json=body, headers=organizer[1])).status_code == 404
    other_org = await factory.user(Role.ngo, org="Other Helpers")
    body["volunteer_id"] = volunteer[0].id
    answer = await client.post(url, json=body, headers=await factory.token(other_org))
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "not_shift_owner"


async def test_calendar_feed_parses_and_subscription_token_can_be_replaced(
    client, shifts, volunteer
):
    shift = await shifts.make(capacity=1, title="Kitchen duty", location="School hall")
    await client.post(f"/api/v1/shifts/{shift['id']}/signup", headers=volunteer[1])
    feed = await client.get("/api/v1/volunteers/me/shifts.ics", headers=volunteer[1])
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    cal = Calendar.from_ical(feed.content)
    events = list(cal.walk("VEVENT"))
    assert len(events) == 1
    event = events[0]
    assert str(event["SUMMARY"]) == "Kitchen duty"
    assert str(event["LOCATION"]) == "School hall"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("DTSTART").isoformat()[:16] == shift["starts_at"][:16]

    link = (await client.post("/api/v1/volunteers/me/calendar", headers=volunteer[1])).json()
    path = link["url"].replace("http://testserver", "")
    public = await client.get(path)
    assert public.status_code == 200
    assert len(list(Calendar.from_ical(public.content).walk("VEVENT"))) == 1
    again = (await client.post("/api/v1/volunteers/me/calendar", headers=volunteer[1])).json()
    assert again["url"] == link["url"]
    reset = (await client.post("/api/v1/volunteers/me/calendar/reset", headers=volunteer[1])).json()
    assert reset["url"] != link["url"]
    assert (await client.get(path)).status_code == 404
    assert (await client.get("/api/v1/volunteers/calendar/nonsense.ics")).status_code == 404


async def _attend(client, db, shifts, organizer, headers, user, hours: int, **shift) -> None:
    made = await shifts.make(capacity=2, **shift)
    await client.post(f"/api/v1/shifts/{made['id']}/signup", headers=headers)
    start = await _move_to_past(db, made["id"])
    answer = await client.post(
        f"/api/v1/shifts/{made['id']}/attendance",
        json={
            "volunteer_id": user.id,
            "checked_in_at": start.isoformat(),
            "checked_out_at": (start + timedelta(hours=hours)).isoformat(),
        },
        headers=organizer[1],
    )
    assert answer.status_code == 200, answer.text


def _code(pdf) -> str:
    return pdf.headers["content-disposition"].split("volunteer-service-")[1].split(".pdf")[0]


async def test_certificate_lists_the_service_and_anyone_can_check_its_code(
    client, factory, shifts, organizer, db
):
    user = await factory.user(Role.volunteer, name="王芳")
    headers = await factory.token(user)
    none_yet = await client.get("/api/v1/volunteers/me/certificate.pdf", headers=headers)
    assert none_yet.status_code == 409
    assert "no attended hours" in none_yet.json()["error"]["message"]

    await _attend(client, db, shifts, organizer, headers, user, 4, title="Sandbag filling",
                  location="North levee")  # fmt: skip
    pdf = await client.get("/api/v1/volunteers/me/certificate.pdf", headers=headers)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-") and len(pdf.content) > 1000
    code = _code(pdf)
    assert len(code) == 12
    again = await client.get("/api/v1/volunteers/me/certificate.pdf", headers=headers)
    assert _code(again) == code, "nothing changed, so the same certificate"

    typed = "-".join(code[i : i + 4] for i in range(0, 12, 4)).lower()
    page = await client.get(f"/certificates/{typed}")
    assert page.status_code == 200
    for shown in ("王*", "Sandbag filling", "North levee", "Riverside Red Cross"):
        assert shown in page.text
    assert "王芳" not in page.text
    checked = (await client.get(f"/api/v1/certificates/{code}")).json()
    assert checked["holder"] == "王*" and checked["hours"] == 4
    assert [r["shift"] for r in checked["records"]] == ["Sandbag filling"]
    assert set(checked) == {"code", "holder", "issued_at", "hours", "records"}

    await _attend(client, db, shifts, organizer, headers, user, 2, title="Kitchen", days=3)
    newer = await client.get("/api/v1/volunteers/me/certificate.pdf", headers=headers)
    assert _code(newer) != code
    assert (await client.get(f"/api/v1/certificates/{_code(newer)}")).json()["hours"] == 6
    # The first paper still checks out as it was printed.
    assert (await client.get(f"/api/v1/certificates/{code}")).json()["hours"] == 4
    assert (await client.get("/certificates/ZZZZZZZZZZZZ")).status_code == 404

    exported = (await client.get("/api/v1/volunteers/me/export", headers=headers)).json()
    assert {c["code"] for c in exported["certificates"]} == {code, _code(newer)}
    gone = await client.delete("/api/v1/volunteers/me", headers=headers)
    assert gone.status_code == 204, gone.text
    assert (await client.get(f"/api/v1/certificates/{code}")).status_code == 404


async def test_changing_a_shift_tells_volunteers_and_capacity_cannot_drop_below_filled(
    app, client, factory, shifts, organizer, db
):
    shift = await shifts.make(capacity=2)
    people = [await factory.user(Role.volunteer) for _ in range(3)]
    for person in people:
        await client.post(
            f"/api/v1/shifts/{shift['id']}/signup", headers=await factory.token(person)
        )
    url = f"/api/v1/shifts/{shift['id']}"
    lower = await client.patch(url, json={"capacity": 1}, headers=organizer[1])
    assert lower.status_code == 422
    bigger = await client.patch(url, json={"capacity": 3}, headers=organizer[1])
    assert bigger.json()["filled"] == 3 and bigger.json()["waitlisted"] == 0
    moved = await client.patch(url, json={"location": "North gate"}, headers=organizer[1])
    assert moved.status_code == 200 and moved.json()["location"] == "North gate"
    await worker.drain(app.state.database)
    kinds = (
        await db.scalars(
            select(OutboxMessage.kind)
            .where(OutboxMessage.user_id == people[2].id)
            .order_by(OutboxMessage.created_at, OutboxMessage.id)
        )
    ).all()
    assert kinds == ["volunteers.waitlisted", "volunteers.promoted", "volunteers.changed"]
    await db.rollback()
    cancelled = await client.post(f"{url}/cancel", headers=organizer[1])
    assert cancelled.json()["status"] == "cancelled"
    listed = (await client.get("/api/v1/shifts")).json()
    assert listed["total"] == 0
    await worker.drain(app.state.database)
    cancel_mails = await db.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "volunteers.cancelled")
    )
    assert len(cancel_mails.all()) == 3


async def test_incident_figures_count_people_not_names(client, shifts, volunteer, incident, app):
    from core.domain import gather

    shift = await shifts.make(capacity=2)
    await client.post(f"/api/v1/shifts/{shift['id']}/signup", headers=volunteer[1])
    patched = await client.patch(
        f"/api/v1/shifts/{shift['id']}",
        json={"skills": None, "description": None},
        headers=shifts.headers,
    )
    assert patched.status_code == 200 and patched.json()["skills"] == []
    async with app.state.database.session() as session:
        figures = await gather("incident.figures", session, incident.id)
    assert figures["volunteers"] == {
        "shifts": 1,
        "places_filled": 1,
        "volunteers": 1,
        "hours": 0,
    }


async def test_certificate_without_a_cjk_font_still_renders(monkeypatch):
    from datetime import datetime

    from volunteers.service import certificate

    monkeypatch.setattr(core.fonts, "CJK_FONTS", ())
    issued = Certificate(
        code="ABCDEFGHJKMN",
        volunteer_id=1,
        holder="王*",
        issued_at=datetime(2026, 7, 4, tzinfo=UTC),
        total_minutes=210,
        records=[
            {
                "date": "2026-07-03",
                "shift": "粮食分发",
                "organization": "Red Cross",
                "location": "东门",
                "minutes": 210,
            }
        ],
    )
    pdf = certificate.certificate_pdf(
        issued, name="王芳 (Wang Fang)", verify_url="http://x/certificates/1", zone_name="UTC"
    )
    assert pdf.startswith(b"%PDF-") and b"Helvetica" in pdf


async def test_a_shift_that_took_place_cannot_be_cancelled(client, shifts, organizer, db):
    shift = await shifts.make()
    await _move_to_past(db, shift["id"], hours_ago=10)
    response = await client.post(f"/api/v1/shifts/{shift['id']}/cancel", headers=organizer[1])
    assert response.status_code == 409 and response.json()["error"]["code"] == "shift_closed"


async def test_certificate_is_issued_even_when_another_write_came_in_between(
    app, client, factory, shifts, organizer, db, monkeypatch
):
    """The certificate GET reads, then writes a new certificate: a write committed by someone
    else in between (the job worker, another request) must not make it fail."""
    from volunteers.routes import account

    user = await factory.user(Role.volunteer, name="Li Lei")
    headers = await factory.token(user)
    await _attend(client, db, shifts, organizer, headers, user, 3, title="Sorting")
    issue = account.issue_certificate

    async def issue_after_another_write(session, volunteer):
        async with app.state.database.transaction() as other:
            other.add(AuditEntry(action="test.between", object_type="users", object_id=user.id))
        return await issue(session, volunteer)

    monkeypatch.setattr(account, "issue_certificate", issue_after_another_write)
    pdf = await client.get("/api/v1/volunteers/me/certificate.pdf", headers=headers)
    assert pdf.status_code == 200, pdf.text
    checked = await client.get(f"/api/v1/certificates/{_code(pdf)}")
    assert checked.status_code == 200 and checked.json()["hours"] == 3
