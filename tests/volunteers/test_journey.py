"""The whole journey in the browser: register, find a shift, sign up, mail, calendar, hours."""

from email import message_from_bytes

import pytest
from icalendar import Calendar

from core import jobs, worker
from core.models import Role
from tests.conftest import PASSWORD, csrf_token, sign_in

pytestmark = pytest.mark.asyncio


async def test_volunteer_journey_from_registration_to_hours(app, client, factory, shifts, settings):
    shift = await shifts.make(days=1 / 24, hours=3, title="Medical post", skills=["medical"])
    await shifts.make(days=1 / 24 + 0.5, title="Sorting clothes")

    token = await csrf_token(client, "/register")
    registered = await client.post(
        "/register",
        data={
            "csrftoken": token,
            "role": "volunteer",
            "name": "Wang Fang",
            "email": "fang@example.org",
            "password": PASSWORD,
            "phone": "+86 138 0000 0000",
            "contact_consent": "1",
        },
    )
    assert registered.status_code == 303
    token = client.cookies["csrftoken"]
    profile = await client.post(
        "/volunteers/me",
        data={
            "csrftoken": token,
            "skills": ["medical"],
            "lat": "30",
            "lon": "114",
            "phone": "+86 138 0000 0000",
            "contact_consent": "1",
        },
    )
    assert profile.status_code == 200, profile.text
    listing = await client.get("/volunteers/shifts")
    assert listing.text.index("Medical post") < listing.text.index("Sorting clothes")
    signed = await client.post(
        f"/volunteers/shifts/{shift['id']}/signup",
        headers={"HX-Request": "true", "x-csrftoken": token},
    )
    assert "You're in" in signed.text

    await jobs.run_job(app.state.database, "volunteers.remind_shifts", {})
    await worker.drain(app.state.database)
    mails = [message_from_bytes(p.read_bytes()) for p in settings.mail_dir.glob("*.eml")]
    # The shift starts within the hour, so the 24-hour reminder goes out too.
    kinds = sorted(m["X-Commons-Kind"] for m in mails)
    assert kinds == ["volunteers.confirmed", "volunteers.reminder"]
    assert all(m["To"] == "fang@example.org" and "Medical post" in m["Subject"] for m in mails)

    ics = await client.get("/volunteers/me/shifts.ics")
    assert [str(e["SUMMARY"]) for e in Calendar.from_ical(ics.content).walk("VEVENT")] == [
        "Medical post"
    ]

    owner_client_cookies = dict(client.cookies)
    client.cookies.clear()
    owner = await factory.user(Role.ngo, org="Riverside Red Cross", email="lead@example.org")
    await sign_in(client, owner.email)
    owner_token = client.cookies["csrftoken"]
    roster = await client.get(f"/volunteers/shifts/{shift['id']}")
    assert "+86 138 0000 0000" in roster.text
    volunteer_id = roster.text.split('name="volunteer_id" value="')[1].split('"')[0]
    for action in ("check_in", "check_out"):
        answer = await client.post(
            f"/volunteers/shifts/{shift['id']}/attendance",
            data={"volunteer_id": volunteer_id, "action": action},
            headers={"HX-Request": "true", "x-csrftoken": owner_token},
        )
        assert answer.status_code == 200 and 'id="roster"' in answer.text
    assert "Attended" in answer.text

    client.cookies.clear()
    client.cookies.update(owner_client_cookies)
    page = await client.get("/volunteers/me")
    assert "Attended" in page.text
    me = await client.get("/api/v1/auth/me")
    assert me.json()["email"] == "fang@example.org"
