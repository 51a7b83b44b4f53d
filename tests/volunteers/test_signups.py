"""Capacity and waitlist, duplicate and overlap refusal, promotion on cancel, concurrency."""

import asyncio
from datetime import datetime

import pytest
from sqlalchemy import func, select, text

from core import worker
from core.models import AuditEntry, OutboxMessage, Role
from volunteers.models import Shift, Signup

pytestmark = pytest.mark.asyncio


async def signup(client, shift_id, headers):
    return await client.post(f"/api/v1/shifts/{shift_id}/signup", headers=headers)


async def test_full_shift_puts_signup_on_waitlist(client, factory, shifts):
    shift = await shifts.make(capacity=2)
    results = []
    for _ in range(4):
        user = await factory.user(Role.volunteer)
        results.append((await signup(client, shift["id"], await factory.token(user))).json())
    assert [r["status"] for r in results] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert [r["waitlist_position"] for r in results] == [None, None, 1, 2]
    listed = (await client.get(f"/api/v1/shifts/{shift['id']}")).json()
    assert listed["filled"] == 2 and listed["waitlisted"] == 2
    assert listed["organization_name"] == "Riverside Red Cross"


async def test_same_shift_twice_is_refused(client, shifts, volunteer):
    shift = await shifts.make()
    assert (await signup(client, shift["id"], volunteer[1])).status_code == 200
    again = await signup(client, shift["id"], volunteer[1])
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_signed_up"


async def test_overlapping_shift_is_refused_but_adjacent_is_fine(client, shifts, volunteer):
    first = await shifts.make(days=2, hours=4)
    overlapping = await shifts.make(days=2 + 2 / 24, hours=4, title="Kitchen")
    adjacent = await shifts.make(days=2 + 4 / 24, hours=2, title="Cleanup")
    assert (await signup(client, first["id"], volunteer[1])).json()["status"] == "confirmed"
    refused = await signup(client, overlapping["id"], volunteer[1])
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "overlapping_shift"
    assert (await signup(client, adjacent["id"], volunteer[1])).status_code == 200


async def test_cancel_promotes_first_waitlisted_and_tells_them(app, client, factory, shifts, db):
    shift = await shifts.make(capacity=1)
    people = [await factory.user(Role.volunteer) for _ in range(3)]
    tokens = [await factory.token(p) for p in people]
    for headers in tokens:
        await signup(client, shift["id"], headers)
    cancelled = await client.delete(f"/api/v1/shifts/{shift['id']}/signup", headers=tokens[0])
    assert cancelled.json()["status"] == "cancelled"
    mine = (await client.get("/api/v1/volunteers/me/signups", headers=tokens[1])).json()
    assert mine["items"][0]["status"] == "confirmed"
    last = (await client.get("/api/v1/volunteers/me/signups", headers=tokens[2])).json()
    assert last["items"][0]["status"] == "waitlisted"
    assert last["items"][0]["waitlist_position"] == 1
    await worker.drain(app.state.database)
    kinds = (
        await db.scalars(
            select(OutboxMessage.kind)
            .where(OutboxMessage.user_id == people[1].id)
            .order_by(OutboxMessage.created_at, OutboxMessage.id)
        )
    ).all()
    assert kinds == ["volunteers.waitlisted", "volunteers.promoted"]
    row = await db.get(Shift, shift["id"])
    assert row.filled == 1


async def test_leaving_the_waitlist_promotes_nobody(client, factory, shifts):
    shift = await shifts.make(capacity=1)
    first, second = [await factory.user(Role.volunteer) for _ in range(2)]
    t1, t2 = await factory.token(first), await factory.token(second)
    await signup(client, shift["id"], t1)
    await signup(client, shift["id"], t2)
    await client.delete(f"/api/v1/shifts/{shift['id']}/signup", headers=t2)
    listed = (await client.get(f"/api/v1/shifts/{shift['id']}")).json()
    assert (listed["filled"], listed["waitlisted"]) == (1, 0)


async def test_signing_up_again_after_cancelling_reuses_the_row(client, shifts, volunteer):
    shift = await shifts.make(capacity=3)
    await signup(client, shift["id"], volunteer[1])
    await client.delete(f"/api/v1/shifts/{shift['id']}/signup", headers=volunteer[1])
    again = await signup(client, shift["id"], volunteer[1])
    assert again.json()["status"] == "confirmed"
    listed = (await client.get(f"/api/v1/shifts/{shift['id']}")).json()
    assert listed["filled"] == 1


async def test_only_volunteers_sign_up_and_only_organizers_create(client, factory, shifts):
    shift = await shifts.make()
    donor = await factory.user(Role.donor)
    assert (await signup(client, shift["id"], await factory.token(donor))).status_code == 403
    assert (await client.post(f"/api/v1/shifts/{shift['id']}/signup")).status_code == 401
    vol = await factory.user(Role.volunteer)
    made = await client.post("/api/v1/shifts", json=shifts.body(), headers=await factory.token(vol))
    assert made.status_code == 403
    pending = await factory.user(Role.ngo, verified=False, org="Unverified Helpers")
    made = await client.post(
        "/api/v1/shifts", json=shifts.body(), headers=await factory.token(pending)
    )
    assert made.status_code == 403
    assert made.json()["error"]["code"] == "organization_pending"


async def test_bad_shift_input_is_422_not_500(client, shifts, organizer, volunteer):
    body = shifts.body()
    body["ends_at"] = body["starts_at"]
    response = await client.post("/api/v1/shifts", json=body, headers=organizer[1])
    assert response.status_code == 422
    body = shifts.body(need_id=99999)
    response = await client.post("/api/v1/shifts", json=body, headers=organizer[1])
    assert response.status_code == 404
    assert response.json()["error"]["fields"] == {"need_id": "not found"}
    body = shifts.body()
    body["incident_id"] = 4242
    response = await client.post("/api/v1/shifts", json=body, headers=organizer[1])
    assert response.status_code == 404
    naive = shifts.body()
    naive["starts_at"] = naive["starts_at"][:19]
    assert (
        await client.post("/api/v1/shifts", json=naive, headers=organizer[1])
    ).status_code == 422
    # The role is checked before the shift is looked up, so an organizer learns nothing of it.
    refused = await client.post("/api/v1/shifts/999/signup", headers=organizer[1])
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    missing = await client.post("/api/v1/shifts/999/signup", headers=volunteer[1])
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "shift_not_found"


async def test_signup_storm_never_overbooks(client, factory, shifts, db):
    """60 concurrent sign-ups for 3 shifts of 10: 30 confirmed, 30 waitlisted in order."""
    made = [await shifts.make(capacity=10, days=2 + i, title=f"Storm {i}") for i in range(3)]
    people = [await factory.user(Role.volunteer) for _ in range(20)]
    tokens = [await factory.token(p) for p in people]
    requests = [signup(client, shift["id"], headers) for headers in tokens for shift in made]
    responses = await asyncio.gather(*requests)
    assert all(r.status_code == 200 for r in responses), [
        r.text for r in responses if r.status_code != 200
    ]
    statuses = [r.json()["status"] for r in responses]
    assert statuses.count("confirmed") == 30 and statuses.count("waitlisted") == 30
    for shift in made:
        row = await db.get(Shift, shift["id"])
        assert row.filled == 10
        rows = (
            await db.scalars(
                select(Signup).where(Signup.shift_id == shift["id"]).order_by(Signup.id)
            )
        ).all()
        assert len(rows) == 20 and len({r.volunteer_id for r in rows}) == 20
        waiting = [r for r in rows if r.status == "waitlisted"]
        assert [r.waitlist_position for r in waiting] == list(range(1, 11))
        assert max(r.created_at for r in rows if r.status == "confirmed") <= min(
            r.created_at for r in waiting
        )


async def test_concurrent_waitlisted_sign_ups_each_get_their_own_place(client, factory, shifts):
    """Places are counted after the shift's lock: arrivals that waited for it while others
    committed still see those others ahead of them."""
    shift = await shifts.make(capacity=2)
    people = [await factory.user(Role.volunteer) for _ in range(14)]
    tokens = [await factory.token(p) for p in people]
    responses = await asyncio.gather(*(signup(client, shift["id"], t) for t in tokens))
    assert all(r.status_code == 200 for r in responses)
    places = sorted(
        r.json()["waitlist_position"] for r in responses if r.json()["status"] == "waitlisted"
    )
    assert places == list(range(1, 13))


async def test_a_sign_up_bumps_its_incidents_version_once_and_the_shifts_list_shows_it(
    client, factory, shifts, db
):
    shift = await shifts.make(capacity=3)
    incident_id = shift["incident_id"]

    async def version() -> int:
        found = await db.scalar(
            text("SELECT coalesce(sum(version), 0) FROM public_versions WHERE incident_id = :id"),
            {"id": incident_id},
        )
        # Ends the read (on SQLite the test's session would hold the write lock).
        await db.rollback()
        return int(found)

    listed = (await client.get(f"/api/v1/shifts?incident_id={incident_id}")).json()["items"]
    assert [s["filled"] for s in listed if s["id"] == shift["id"]] == [0]
    before = await version()
    person = await factory.user(Role.volunteer)
    assert (await signup(client, shift["id"], await factory.token(person))).status_code == 200
    assert await version() == before + 1
    listed = (await client.get(f"/api/v1/shifts?incident_id={incident_id}")).json()["items"]
    assert [s["filled"] for s in listed if s["id"] == shift["id"]] == [1]


async def test_concurrent_overlapping_signups_of_one_volunteer_admit_one(
    client, shifts, volunteer, db
):
    made = [await shifts.make(days=2 + i / 48, hours=3, title=f"Overlap {i}") for i in range(5)]
    responses = await asyncio.gather(*(signup(client, s["id"], volunteer[1]) for s in made))
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 409, 409, 409, 409]
    active = await db.scalar(
        select(func.count()).where(
            Signup.volunteer_id == volunteer[0].id, Signup.status != "cancelled"
        )
    )
    assert active == 1


async def test_concurrent_overlapping_signups_admit_one_when_the_profile_exists(
    client, shifts, volunteer, db
):
    """On PostgreSQL the overlap check reads in the statement that takes the volunteer's lock,
    under a snapshot older than the lock: a sign-up committed in between must be seen."""
    earlier = await shifts.make(days=1, hours=1, title="Earlier")
    assert (await signup(client, earlier["id"], volunteer[1])).status_code == 200
    for attempt in range(3):
        made = [
            await shifts.make(days=3 + attempt + i / 48, hours=3, title=f"Overlap {attempt}.{i}")
            for i in range(5)
        ]
        responses = await asyncio.gather(*(signup(client, s["id"], volunteer[1]) for s in made))
        assert sorted(r.status_code for r in responses) == [200, 409, 409, 409, 409]
    active = await db.scalar(
        select(func.count()).where(
            Signup.volunteer_id == volunteer[0].id, Signup.status != "cancelled"
        )
    )
    assert active == 4


async def test_concurrent_cancellations_promote_different_volunteers(client, factory, shifts, db):
    shift = await shifts.make(capacity=3)
    people = [await factory.user(Role.volunteer) for _ in range(6)]
    tokens = [await factory.token(p) for p in people]
    for headers in tokens:
        await signup(client, shift["id"], headers)
    cancels = await asyncio.gather(
        *(client.delete(f"/api/v1/shifts/{shift['id']}/signup", headers=t) for t in tokens[:3])
    )
    assert all(r.status_code == 200 for r in cancels)
    rows = (await db.scalars(select(Signup).where(Signup.shift_id == shift["id"]))).all()
    confirmed = sorted(r.volunteer_id for r in rows if r.status == "confirmed")
    assert confirmed == sorted(p.id for p in people[3:])
    assert (await db.get(Shift, shift["id"])).filled == 3


async def test_each_arrival_writes_its_audit_row_with_the_row_as_stored(
    client, factory, shifts, db
):
    shift = await shifts.make(capacity=1)
    people = [await factory.user(Role.volunteer) for _ in range(2)]
    for person in people:
        assert (await signup(client, shift["id"], await factory.token(person))).status_code == 200
    rows = (
        await db.scalars(select(Signup).where(Signup.shift_id == shift["id"]).order_by(Signup.id))
    ).all()
    for row, action in zip(rows, ["signup.confirmed", "signup.waitlisted"], strict=True):
        await db.refresh(row)
        entry = await db.scalar(
            select(AuditEntry).where(
                AuditEntry.object_type == "shift_signups", AuditEntry.object_id == row.id
            )
        )
        assert entry.action == action and entry.actor_id == row.volunteer_id
        assert entry.before is None
        after = entry.after
        assert after["id"] == row.id and after["status"] == row.status
        assert after["waitlist_position"] == row.waitlist_position
        assert datetime.fromisoformat(after["created_at"]) == row.created_at
        confirmed = after["confirmed_at"]
        assert (datetime.fromisoformat(confirmed) if confirmed else None) == row.confirmed_at
