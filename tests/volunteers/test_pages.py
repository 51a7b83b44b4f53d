"""Recommendations and the browser pages: browse, one-click sign-up with htmx, profile, forms."""

from datetime import UTC, date, datetime, timedelta

import pytest

from core.clock import utcnow
from core.models import Role
from tests.conftest import csrf_token, sign_in
from volunteers.models import Shift, VolunteerProfile
from volunteers.service.recommend import rank, score

pytestmark = pytest.mark.asyncio


def _shift(id, skills, lat=30.0, lon=114.0, start=None):
    start = start or datetime(2026, 12, 5, 9, tzinfo=UTC)  # a Saturday morning
    return Shift(
        id=id,
        incident_id=1,
        organization_id=1,
        created_by_id=1,
        title=f"Shift {id}",
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        lat=lat,
        lon=lon,
        capacity=5,
        skills=skills,
    )


async def test_recommendation_weighs_skills_distance_and_availability():
    profile = VolunteerProfile(
        user_id=1,
        skills=["first_aid", "driving"],
        lat=30.0,
        lon=114.0,
        availability={"sat": ["morning"]},
    )
    near_match = _shift(1, ["first_aid"])
    far_match = _shift(2, ["first_aid"], lat=30.2)
    no_match = _shift(3, ["plumbing"])
    open_to_all = _shift(4, [])
    weekday = _shift(5, ["first_aid"], start=datetime(2026, 12, 7, 20, tzinfo=UTC))
    ranked = [
        s.id
        for s, _score, _r in rank(
            profile, [no_match, far_match, weekday, open_to_all, near_match], {}
        )
    ]
    assert ranked[0] == 1
    assert ranked.index(2) < ranked.index(4) < ranked.index(3)
    assert ranked.index(1) < ranked.index(5)
    value, reasons = score(profile, near_match, "UTC")
    assert value == pytest.approx(1.0)
    assert any("First aid" in r for r in reasons) and any("0.0 km" in r for r in reasons)
    assert score(None, near_match) == (0.0, [])


async def test_recommended_api_puts_matching_shift_first(client, shifts, volunteer):
    await client.put(
        "/api/v1/volunteers/me",
        json={"skills": ["medical"], "lat": 30.0, "lon": 114.0},
        headers=volunteer[1],
    )
    await shifts.make(days=1, title="Soonest but far", lat=35.0, skills=["plumbing"])
    wanted = await shifts.make(days=3, title="Clinic", skills=["medical"])
    listed = await client.get("/api/v1/shifts?recommended=true", headers=volunteer[1])
    items = listed.json()["items"]
    assert items[0]["id"] == wanted["id"] and items[0]["score"] > items[1]["score"]
    assert items[0]["reasons"]
    plain = (await client.get("/api/v1/shifts")).json()["items"]
    assert plain[0]["title"] == "Soonest but far" and plain[0]["score"] is None


async def test_shift_filters_by_skill_date_and_incident(client, shifts, incident):
    await shifts.make(days=1, skills=["cooking"], title="Kitchen")
    await shifts.make(days=4, skills=["driving", "logistics"], title="Convoy")
    by_skill = (await client.get("/api/v1/shifts?skill=logistics")).json()
    assert [s["title"] for s in by_skill["items"]] == ["Convoy"]
    day = (utcnow() + timedelta(days=1)).date().isoformat()
    by_date = (await client.get(f"/api/v1/shifts?date_from={day}&date_to={day}")).json()
    assert [s["title"] for s in by_date["items"]] == ["Kitchen"]
    assert (await client.get(f"/api/v1/shifts?incident_id={incident.id + 1}")).json()["total"] == 0
    bad = await client.get("/api/v1/shifts?skill=juggling")
    assert bad.status_code == 422


async def test_volunteer_signs_up_in_one_click_with_htmx(client, factory, shifts):
    user = await factory.user(Role.volunteer)
    shift = await shifts.make(capacity=1)
    await sign_in(client, user.email)
    page = await client.get("/volunteers/shifts")
    assert page.status_code == 200 and "Sign up" in page.text
    token = client.cookies["csrftoken"]
    swapped = await client.post(
        f"/volunteers/shifts/{shift['id']}/signup",
        headers={"HX-Request": "true", "x-csrftoken": token},
    )
    assert swapped.status_code == 200
    assert "You're in" in swapped.text and "<html" not in swapped.text
    other = await factory.user(Role.volunteer)
    client.cookies.clear()
    await sign_in(client, other.email)
    token = client.cookies["csrftoken"]
    waitlisted = await client.post(
        f"/volunteers/shifts/{shift['id']}/signup",
        headers={"HX-Request": "true", "x-csrftoken": token},
    )
    assert "Waitlisted #1" in waitlisted.text
    again = await client.post(
        f"/volunteers/shifts/{shift['id']}/signup",
        headers={"HX-Request": "true", "x-csrftoken": token},
    )
    # Refused in place: the button comes back with the message, as 422 so htmx swaps it.
    assert again.status_code == 422 and "already signed up" in again.text
    assert 'id="signup-' in again.text and "<html" not in again.text
    # Without JavaScript the form posts and comes back to the shift's page.
    plain = await client.post(
        f"/volunteers/shifts/{shift['id']}/cancel-signup", data={"csrftoken": token}
    )
    assert plain.status_code == 303


async def test_volunteer_page_profile_form_and_downloads(client, factory, shifts):
    user = await factory.user(Role.volunteer)
    await sign_in(client, user.email)
    page = await client.get("/volunteers/me")
    assert page.status_code == 200 and "My hours" in page.text
    token = client.cookies["csrftoken"]
    saved = await client.post(
        "/volunteers/me",
        data={
            "csrftoken": token,
            "skills": ["cooking", "it"],
            "languages": "Mandarin, English",
            "lat": "30.1",
            "lon": "114.2",
            "avail_sat": ["morning"],
            "contact_consent": "1",
        },
        headers={"HX-Request": "true"},
    )
    assert saved.status_code == 200 and "Your profile is saved" in saved.text
    invalid = await client.post(
        "/volunteers/me",
        data={"csrftoken": token, "lat": "95", "lon": "1"},
        headers={"HX-Request": "true"},
    )
    assert invalid.status_code == 422 and 'aria-invalid="true"' in invalid.text
    me = await client.get("/volunteers/me")
    assert 'value="cooking" checked' in me.text
    ics = await client.get("/volunteers/me/shifts.ics")
    assert ics.headers["content-type"].startswith("text/calendar")
    export = await client.get("/volunteers/me/export.json")
    assert export.json()["profile"]["skills"] == ["cooking", "it"]
    made = await client.post("/volunteers/me/calendar", data={"csrftoken": token})
    assert made.status_code == 303
    assert "/api/v1/volunteers/calendar/" in (await client.get("/volunteers/me")).text
    # No hours attended yet: no certificate, and the page says why instead of offering one.
    pdf = await client.get("/volunteers/me/certificate.pdf")
    assert pdf.status_code == 409 and "no attended hours" in pdf.text
    assert "certificate.pdf" not in (await client.get("/volunteers/me")).text


def shift_form(token: str, incident, **fields) -> dict:
    """The new-shift form as a browser posts it: local times two days ahead, three hours long."""
    start = utcnow() + timedelta(days=2)
    return {
        "csrftoken": token,
        "incident_id": str(incident.id),
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        "lat": "30",
        "lon": "114",
        "capacity": "8",
        **fields,
    }


async def test_organizer_creates_and_edits_a_shift_in_the_browser(client, factory, incident):
    owner = await factory.user(Role.official, org="Recovery Office")
    await factory.lead(incident.id, owner)
    await sign_in(client, owner.email)
    token = await csrf_token(client, "/volunteers/shifts/new")
    data = shift_form(token, incident, title="Debris clearing", skills=["construction"])
    start = data["starts_at"]
    bad = await client.post("/volunteers/shifts/new", data={**data, "ends_at": start})
    assert bad.status_code == 422
    made = await client.post("/volunteers/shifts/new", data=data)
    assert made.status_code == 303
    shift_url = made.headers["location"]
    page = await client.get(shift_url)
    assert "Debris clearing" in page.text and "Roster" in page.text
    edit = shift_url + "/edit"
    assert (await client.get(edit)).status_code == 200
    changed = await client.post(edit, data={**data, "title": "Debris clearing, north"})
    assert changed.status_code == 303
    assert "Debris clearing, north" in (await client.get(shift_url)).text
    assert "Debris clearing, north" in (await client.get("/volunteers/organize")).text


async def test_deleting_from_the_browser_needs_the_password(client, factory):
    user = await factory.user(Role.volunteer)
    await sign_in(client, user.email)
    token = await csrf_token(client, "/volunteers/me/delete")
    wrong = await client.post("/volunteers/me/delete", data={"csrftoken": token, "password": "x"})
    assert wrong.status_code == 422
    from tests.conftest import PASSWORD

    done = await client.post(
        "/volunteers/me/delete", data={"csrftoken": token, "password": PASSWORD}
    )
    assert done.status_code == 303
    assert (await client.get("/volunteers/me")).status_code == 303


async def test_profile_row_made_for_volunteers_without_one(client, factory, db):
    user = await factory.user(Role.volunteer)
    await db.execute(VolunteerProfile.__table__.delete())
    await db.commit()
    headers = await factory.token(user)
    assert (await client.get("/api/v1/volunteers/me", headers=headers)).json()["skills"] == []


async def test_areas_are_offered_by_name_and_filter_shifts(client, app, factory, shifts, incident):
    from recovery.models import Area

    async with app.state.database.transaction() as session:
        area = Area(incident_id=incident.id, name="Willow Village", lat=30.1, lon=114.1)
        session.add(area)
        await session.flush()
    await shifts.make(title="In the village", area_id=area.id)
    await shifts.make(title="Elsewhere")
    listed = (await client.get(f"/api/v1/shifts?area_id={area.id}")).json()
    assert [s["title"] for s in listed["items"]] == ["In the village"]
    page = await client.get("/volunteers/shifts")
    assert f'<option value="{area.id}" >Willow Village</option>' in page.text
    filtered = await client.get(f"/volunteers/shifts?area_id={area.id}")
    assert "In the village" in filtered.text and "Elsewhere" not in filtered.text
    user = await factory.user(Role.volunteer)
    await sign_in(client, user.email)
    token = client.cookies["csrftoken"]
    await client.post("/volunteers/me", data={"csrftoken": token, "area_id": str(area.id)})
    me = await client.get("/volunteers/me")
    assert f'<option value="{area.id}" selected>Willow Village</option>' in me.text


async def test_shift_list_pages_keep_filters(client, shifts):
    for i in range(3):
        await shifts.make(days=1 + i, title=f"Page shift {i}", skills=["cooking"])
    first = await client.get("/volunteers/shifts?skill=cooking&limit=2")
    assert "Page shift 0" in first.text and "Page shift 2" not in first.text
    assert "skill=cooking&amp;limit=2&amp;offset=2" in first.text
    second = await client.get("/volunteers/shifts?skill=cooking&limit=2&offset=2")
    assert "Page shift 2" in second.text and "skill=cooking&amp;limit=2&amp;offset=0" in second.text


async def test_pages_render_in_chinese(client, factory, shifts):
    shift = await shifts.make(capacity=1, min_age=18, skills=["first_aid"])
    zh = {"Accept-Language": "zh-CN"}
    first = await factory.user(Role.volunteer)
    await client.post(f"/api/v1/shifts/{shift['id']}/signup", headers=await factory.token(first))
    user = await factory.user(Role.volunteer)
    await client.post(f"/api/v1/shifts/{shift['id']}/signup", headers=await factory.token(user))
    await sign_in(client, user.email)
    listing = await client.get("/volunteers/shifts", headers=zh)
    assert "候补第 1 位" in listing.text and "急救" in listing.text
    for path in (f"/volunteers/shifts/{shift['id']}", "/volunteers/me", "/volunteers/me/delete"):
        page = await client.get(path, headers=zh)
        assert page.status_code == 200 and 'lang="zh-Hans"' in page.text
    client.cookies.clear()
    owner = await factory.user(Role.ngo, org="Riverside Red Cross")
    await sign_in(client, owner.email)
    for path in (
        f"/volunteers/shifts/{shift['id']}",
        "/volunteers/organize",
        "/volunteers/shifts/new",
    ):
        page = await client.get(path, headers=zh)
        assert page.status_code == 200 and "班次" in page.text


async def test_new_shift_form_offers_the_incidents_by_name(client, factory):
    from core.models import Role
    from recovery.models import Incident
    from tests.conftest import sign_in

    async with factory.app.state.database.transaction() as session:
        incident = Incident(name="Hill Quake", started_on=date(2026, 11, 1))
        session.add(incident)
    official = await factory.user(Role.official)
    await sign_in(client, official.email)
    page = await client.get("/volunteers/shifts/new")
    assert page.status_code == 200
    assert f'<option value="{incident.id}"' in page.text and "Hill Quake" in page.text


async def test_shift_form_shows_refusals_at_the_field_or_above_the_form(
    client, factory, incident, shifts
):
    owner = await factory.user(Role.ngo, org="Riverside Red Cross")
    await sign_in(client, owner.email)
    token = await csrf_token(client, "/volunteers/shifts/new")
    data = shift_form(token, incident, title="Water point", need_id="99999")
    start = data["starts_at"]
    unknown = await client.post("/volunteers/shifts/new", data=data, headers={"HX-Request": "1"})
    assert unknown.status_code == 422 and 'aria-describedby="e-need_id"' in unknown.text
    # The times typed in come back as typed.
    assert f'value="{start}"' in unknown.text
    shift = await shifts.make()
    await client.post(f"/volunteers/shifts/{shift['id']}/cancel", data={"csrftoken": token})
    data.pop("need_id")
    closed = await client.post(
        f"/volunteers/shifts/{shift['id']}/edit", data=data, headers={"HX-Request": "1"}
    )
    assert closed.status_code == 422
    assert '<p class="error">This shift was cancelled and cannot be changed.</p>' in closed.text


async def test_refused_roster_button_shows_its_message_in_place(client, factory, shifts, volunteer):
    shift = await shifts.make()
    await client.post(f"/api/v1/shifts/{shift['id']}/signup", headers=volunteer[1])
    owner = await factory.user(Role.ngo, org="Riverside Red Cross")
    await sign_in(client, owner.email)
    token = client.cookies["csrftoken"]
    early = await client.post(
        f"/volunteers/shifts/{shift['id']}/attendance",
        data={"volunteer_id": str(volunteer[0].id), "action": "check_out"},
        headers={"HX-Request": "true", "x-csrftoken": token},
    )
    assert early.status_code == 422 and 'id="roster"' in early.text
    assert "Check the volunteer in first." in early.text and "<html" not in early.text


async def test_the_signed_out_shift_list_is_shared_and_follows_signups_and_the_clock(
    client, shifts, volunteer, test_clock
):
    early = await shifts.make(days=0.1, hours=1, title="Early shift")
    await shifts.make(days=1, title="Later shift")
    page = await client.get("/volunteers/shifts")
    assert page.headers["cache-control"].startswith("public") and "Early shift" in page.text
    assert "0 of 2 places filled" in page.text and 'name="csrftoken"' not in page.text
    again = await client.get("/volunteers/shifts", headers={"If-None-Match": page.headers["etag"]})
    assert again.status_code == 304
    await client.post(f"/api/v1/shifts/{early['id']}/signup", headers=volunteer[1])
    assert "1 of 2 places filled" in (await client.get("/volunteers/shifts")).text
    # Once the early shift is over it leaves the list, with no write to change the versions.
    test_clock.advance(timedelta(hours=4))
    later = (await client.get("/volunteers/shifts")).text
    assert "Early shift" not in later and "Later shift" in later


async def test_availability_counts_the_share_of_the_shift_in_free_hours():
    profile = VolunteerProfile(user_id=1, skills=[], availability={"sat": ["morning"]})
    # 10:00-14:00 on a Saturday: two of its four hours fall in the free morning.
    half = _shift(1, [], start=datetime(2026, 12, 5, 10, tzinfo=UTC))
    half.ends_at = half.starts_at + timedelta(hours=4)
    value, reasons = score(profile, half, "UTC")
    assert value == pytest.approx(0.25 + 0.2 * 0.5)
    assert any("Saturday, Morning" in r for r in reasons)
    # In Shanghai the same instant is Saturday 18:00-22:00: evening, not free.
    assert score(profile, half, "Asia/Shanghai")[0] == pytest.approx(0.25)
    # Across midnight into a free Sunday morning: the Sunday hours count.
    profile.availability = {"sun": ["morning"]}
    late = _shift(2, [], start=datetime(2026, 12, 5, 22, tzinfo=UTC))
    late.ends_at = late.starts_at + timedelta(hours=4)
    assert score(profile, late, "UTC")[0] == pytest.approx(0.25 + 0.2 * 0.5)
