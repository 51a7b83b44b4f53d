"""Team profiles: capabilities, certifications that expire, reminders, officials' search."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from core import clock
from core.models import OutboxMessage
from preparedness.service import remind_certifications
from tests.preparedness.conftest import TODAY, team_body

pytestmark = pytest.mark.asyncio


async def test_member_keeps_team_profile_and_public_reads_it(prep, client):
    user, headers, org_id = await prep.team("Blue Sky Rescue")
    profile = await prep.call("GET", f"/api/v1/organizations/{org_id}/team", headers={})
    assert profile["name"] == "Blue Sky Rescue"
    assert profile["members"] == 24
    assert profile["equipment"] == [{"name": "hydraulic cutter", "quantity": 2}]
    assert profile["certifications"][0]["issuer"].startswith("Provincial")
    # Saving again replaces the profile, certifications included.
    await prep.call(
        "PUT",
        f"/api/v1/organizations/{org_id}/team",
        team_body(members=30, certifications=[]),
        headers=headers,
    )
    profile = await prep.call("GET", f"/api/v1/organizations/{org_id}/team", headers={})
    assert profile["members"] == 30 and profile["certifications"] == []


async def test_only_members_keep_the_profile_and_capabilities_are_fixed(prep):
    _, _, org_id = await prep.team("Blue Sky Rescue")
    _, other_headers, _ = await prep.team("Other Team")
    error = await prep.call(
        "PUT",
        f"/api/v1/organizations/{org_id}/team",
        team_body(),
        headers=other_headers,
        status=403,
    )
    assert error["error"]["code"] == "not_team_member"
    error = await prep.call(
        "PUT",
        f"/api/v1/organizations/{org_id}/team",
        team_body(capabilities=["juggling"]),
        headers=other_headers,
        status=422,
    )
    assert "capabilities" in str(error["error"]["fields"])
    codes = await prep.call("GET", "/api/v1/teams/capabilities", headers={})
    assert {"code": "water_rescue", "label": "Water search and rescue"} in codes
    zh = await prep.call("GET", "/api/v1/teams/capabilities", headers={"Accept-Language": "zh-CN"})
    assert "water_rescue" in {c["code"] for c in zh}
    assert {c["label"] for c in zh}.isdisjoint({c["label"] for c in codes})


async def test_search_proposes_certified_teams_nearest_first(prep):
    _, _, far = await prep.team("Far Team", base_lat=31.5, base_lon=115.5)
    _, _, near = await prep.team("Near Team", base_lat=30.64, base_lon=114.34)
    expired = (TODAY - timedelta(days=1)).isoformat()
    await prep.team(
        "Lapsed Team",
        certifications=[{"name": "SAR", "issuer": "MEM", "expires_on": expired}],
    )
    # A certification without a capability covers all of the team's.
    await prep.team(
        "General Team",
        capabilities=["water_rescue"],
        certifications=[{"name": "All", "issuer": "MEM", "expires_on": "2030-01-01"}],
    )
    found = await prep.call(
        "GET",
        "/api/v1/teams",
        capability="collapsed_structure_sar",
        incident_id=prep.incident_id,
        area_id=prep.setup.village["id"],
    )
    assert [t["organization_id"] for t in found["items"]] == [near, far]
    assert found["items"][0]["distance_km"] < found["items"][1]["distance_km"]
    # The certification covers only collapsed structures: no medical first aid proposal.
    medical = await prep.call(
        "GET", "/api/v1/teams", capability="medical_first_aid", incident_id=prep.incident_id
    )
    assert medical["items"] == []
    water = await prep.call(
        "GET", "/api/v1/teams", capability="water_rescue", incident_id=prep.incident_id
    )
    assert [t["name"] for t in water["items"]] == ["General Team"]


async def test_search_needs_an_official_and_a_place(prep):
    _, headers, _ = await prep.team("Blue Sky Rescue")
    await prep.call("GET", "/api/v1/teams", headers=headers, status=403, capability="water_rescue")
    error = await prep.call("GET", "/api/v1/teams", status=422, capability="water_rescue")
    assert "incident_id" in error["error"]["fields"]


async def test_team_is_reminded_once_thirty_days_before_expiry(prep, app):
    soon = (clock.today() + timedelta(days=20)).isoformat()
    later = (clock.today() + timedelta(days=90)).isoformat()
    user, _, _ = await prep.team(
        "Blue Sky Rescue",
        certifications=[
            {"name": "Rope rescue", "issuer": "MEM", "expires_on": soon},
            {"name": "First aid", "issuer": "Red Cross", "expires_on": later},
        ],
    )
    for _ in range(2):
        async with app.state.database.transaction() as session:
            await remind_certifications(session, {})
    async with app.state.database.session() as session:
        mails = list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "team.certification_expiring")
            )
        )
    assert len(mails) == 1
    assert mails[0].to_email == user.email
    assert "Rope rescue" in mails[0].subject
