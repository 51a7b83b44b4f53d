"""Registration's profile hook, profiles, who sees contact details, data export and deletion."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from core import worker
from core.clock import utcnow
from core.models import AuditEntry, OutboxMessage, Role, User, UserSession
from tests.conftest import PASSWORD, csrf_token, sign_in
from volunteers.models import Shift, Signup, VolunteerProfile

pytestmark = pytest.mark.asyncio


async def register_volunteer(client, email="fang@example.org", **extra):
    body = {
        "email": email,
        "password": PASSWORD,
        "name": "Wang Fang",
        "role": "volunteer",
        "phone": "+86 138 0000 0000",
        "contact_consent": True,
        **extra,
    }
    response = await client.post("/api/v1/auth/register", json=body)
    assert response.status_code == 201, response.text
    token = await client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    return response.json(), {"Authorization": f"Bearer {token.json()['access_token']}"}


async def test_registration_stores_phone_and_consent_time(client, db):
    user, headers = await register_volunteer(client)
    profile = await db.scalar(
        select(VolunteerProfile).where(VolunteerProfile.user_id == user["id"])
    )
    assert profile.phone == "+86 138 0000 0000"
    assert profile.contact_consent is True
    assert abs((profile.consented_at - utcnow()).total_seconds()) < 60
    me = (await client.get("/api/v1/volunteers/me", headers=headers)).json()
    assert me["phone"] == "+86 138 0000 0000" and me["hours"] == 0


async def test_browser_registration_form_creates_the_profile(client, db):
    token = await csrf_token(client, "/register")
    response = await client.post(
        "/register",
        data={
            "csrftoken": token,
            "role": "volunteer",
            "name": "Li Jun",
            "email": "jun@example.org",
            "password": PASSWORD,
            "phone": "13900000000",
        },
    )
    assert response.status_code == 303
    user = await db.scalar(select(User).where(User.email == "jun@example.org"))
    profile = await db.scalar(select(VolunteerProfile).where(VolunteerProfile.user_id == user.id))
    assert profile.phone == "13900000000" and profile.contact_consent is False
    assert profile.consented_at is None


async def test_profile_update_validates_and_saves(client, volunteer):
    body = {
        "skills": ["first_aid", "cooking", "first_aid"],
        "languages": ["Mandarin", "English"],
        "lat": 30.5,
        "lon": 114.3,
        "availability": {"sat": ["morning", "afternoon"]},
        "phone": "123",
    }
    saved = await client.put("/api/v1/volunteers/me", json=body, headers=volunteer[1])
    assert saved.status_code == 200
    assert saved.json()["skills"] == ["first_aid", "cooking"]
    assert saved.json()["availability"] == {"sat": ["morning", "afternoon"]}
    bad = await client.put(
        "/api/v1/volunteers/me", json={"skills": ["juggling"]}, headers=volunteer[1]
    )
    assert bad.status_code == 422 and "skills.0" in bad.json()["error"]["fields"]
    half = await client.put("/api/v1/volunteers/me", json={"lat": 3}, headers=volunteer[1])
    assert half.status_code == 422
    area = await client.put("/api/v1/volunteers/me", json={"area_id": 999}, headers=volunteer[1])
    assert area.status_code == 404 and area.json()["error"]["fields"] == {"area_id": "not found"}


async def test_contact_details_only_for_the_owner_and_only_with_consent(
    client, factory, shifts, organizer
):
    agreed, agreed_headers = await register_volunteer(client, "agreed@example.org")
    refused, refused_headers = await register_volunteer(
        client, "refused@example.org", contact_consent=False, phone="+86 999"
    )
    shift = await shifts.make(capacity=5)
    for headers in (agreed_headers, refused_headers):
        await client.post(f"/api/v1/shifts/{shift['id']}/signup", headers=headers)

    roster = (
        await client.get(f"/api/v1/shifts/{shift['id']}/signups", headers=organizer[1])
    ).json()["items"]
    by_id = {entry["volunteer_id"]: entry for entry in roster}
    assert by_id[agreed["id"]]["email"] == "agreed@example.org"
    assert by_id[agreed["id"]]["phone"] == "+86 138 0000 0000"
    assert by_id[refused["id"]]["email"] is None and by_id[refused["id"]]["phone"] is None

    other = await factory.user(Role.ngo, org="Someone Else")
    other_headers = await factory.token(other)
    assert (
        await client.get(f"/api/v1/shifts/{shift['id']}/signups", headers=other_headers)
    ).status_code == 403
    assert (
        await client.get(f"/api/v1/shifts/{shift['id']}/signups", headers=agreed_headers)
    ).status_code == 403

    secrets = ["agreed@example.org", "+86 138 0000 0000", "Wang Fang", "refused@example.org"]
    public = [
        await client.get("/api/v1/shifts"),
        await client.get(f"/api/v1/shifts/{shift['id']}"),
        await client.get("/volunteers/shifts"),
        await client.get(f"/volunteers/shifts/{shift['id']}"),
    ]
    for response in public:
        assert response.status_code == 200
        assert not any(secret in response.text for secret in secrets)
    # Another volunteer signed in sees no one else's details either.
    await sign_in(client, "refused@example.org")
    page = await client.get(f"/volunteers/shifts/{shift['id']}")
    assert "agreed@example.org" not in page.text and "Wang Fang" not in page.text


async def test_owner_page_shows_roster_with_consented_contacts(client, factory, shifts):
    owner = await factory.user(Role.ngo, org="Riverside Red Cross", email="lead@example.org")
    agreed, agreed_headers = await register_volunteer(client, "agreed@example.org")
    shift = await shifts.make(capacity=5)
    await client.post(f"/api/v1/shifts/{shift['id']}/signup", headers=agreed_headers)
    await sign_in(client, owner.email)
    page = await client.get(f"/volunteers/shifts/{shift['id']}")
    assert "agreed@example.org" in page.text and "Wang Fang" in page.text


async def test_export_holds_everything_about_the_volunteer(app, client, shifts):
    user, headers = await register_volunteer(client)
    shift = await shifts.make(title="Shelter night")
    await client.post(f"/api/v1/shifts/{shift['id']}/signup", headers=headers)
    await worker.drain(app.state.database)
    data = (await client.get("/api/v1/volunteers/me/export", headers=headers)).json()
    assert data["account"]["email"] == "fang@example.org"
    assert data["profile"]["phone"] == "+86 138 0000 0000"
    assert data["signups"][0]["shift_title"] == "Shelter night"
    assert data["signups"][0]["organization"] == "Riverside Red Cross"
    assert data["messages"][0]["kind"] == "volunteers.confirmed"
    json.dumps(data)


async def test_deletion_erases_person_keeps_hours_and_promotes_waitlist(
    app, client, factory, shifts, organizer, db
):
    user, headers = await register_volunteer(client)
    past = await shifts.make(capacity=2, title="Past")
    future = await shifts.make(capacity=1, days=5, title="Future")
    await client.post(f"/api/v1/shifts/{past['id']}/signup", headers=headers)
    await client.post(f"/api/v1/shifts/{future['id']}/signup", headers=headers)
    waiting = await factory.user(Role.volunteer)
    await client.post(f"/api/v1/shifts/{future['id']}/signup", headers=await factory.token(waiting))
    start = utcnow() - timedelta(hours=8)
    await db.execute(
        update(Shift)
        .where(Shift.id == past["id"])
        .values(starts_at=start, ends_at=start + timedelta(hours=4))
    )
    await db.commit()
    await client.post(
        f"/api/v1/shifts/{past['id']}/attendance",
        json={
            "volunteer_id": user["id"],
            "checked_in_at": start.isoformat(),
            "checked_out_at": (start + timedelta(hours=3)).isoformat(),
        },
        headers=organizer[1],
    )
    await worker.drain(app.state.database)
    assert (await client.delete("/api/v1/volunteers/me", headers=headers)).status_code == 204

    db.expire_all()
    row = await db.get(User, user["id"])
    assert row.name == "Deleted volunteer" and row.is_active is False
    assert row.email.endswith("@deleted.invalid") and "fang" not in row.email
    profile = await db.scalar(select(VolunteerProfile).where(VolunteerProfile.user_id == row.id))
    assert profile.phone is None and profile.lat is None and profile.contact_consent is False
    signups = {
        s.shift_id: s
        for s in (await db.scalars(select(Signup).where(Signup.volunteer_id == row.id))).all()
    }
    assert signups[past["id"]].minutes == 180 and signups[past["id"]].attendance == "attended"
    assert signups[future["id"]].status == "cancelled"
    promoted = await db.scalar(
        select(Signup).where(Signup.volunteer_id == waiting.id, Signup.shift_id == future["id"])
    )
    assert promoted.status == "confirmed"
    mails = (await db.scalars(select(OutboxMessage).where(OutboxMessage.user_id == row.id))).all()
    assert mails and all("fang@example.org" not in m.to_email and m.body == "" for m in mails)
    trail = (
        await db.scalars(
            select(AuditEntry).where(
                AuditEntry.object_type == "users", AuditEntry.object_id == row.id
            )
        )
    ).all()
    assert trail and "fang@example.org" not in json.dumps([[e.before, e.after] for e in trail])
    await db.rollback()
    # The old token and the password no longer work; the hours still count for the incident.
    assert (await client.get("/api/v1/volunteers/me", headers=headers)).status_code == 401
    token = await client.post(
        "/api/v1/auth/token", json={"email": "fang@example.org", "password": PASSWORD}
    )
    assert token.status_code == 401


async def test_deletion_runs_every_domains_deletion_hook(app, client, volunteer):
    seen = []

    async def other_domain(session, user):
        seen.append(user.id)

    app.state.database.extensions.account_deletion.append(other_domain)
    assert (await client.delete("/api/v1/volunteers/me", headers=volunteer[1])).status_code == 204
    assert seen == [volunteer[0].id]


async def test_deletion_ends_every_browser_session_of_the_account(app, client, factory):
    user = await factory.user(Role.volunteer)
    for _ in range(2):  # signed in from two browsers
        client.cookies.clear()
        assert (await sign_in(client, user.email)).status_code == 303
    client.cookies.clear()
    headers = await factory.token(user)
    assert (await client.delete("/api/v1/volunteers/me", headers=headers)).status_code == 204
    async with app.state.database.session() as session:
        ended = list(
            await session.scalars(
                select(UserSession.revoked_at).where(UserSession.user_id == user.id)
            )
        )
    assert len(ended) == 2 and all(at is not None for at in ended)
