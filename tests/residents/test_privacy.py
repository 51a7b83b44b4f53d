"""Residents' personal data never reaches a public page, the public API or an export."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from core import clock
from core.models import AuditEntry

pytestmark = pytest.mark.asyncio

NAME = "Zhang Sanfeng"
PHONE = "+86 137 4567 8901"
EMAIL = "zhang.sanfeng@example.net"
PLACE = "Flat 502, 17 Willow Lane"


async def test_names_phones_and_places_stay_out_of_public_pages_api_and_exports(residents):
    receipt = await residents.ask(
        contact_name=NAME, contact_phone=PHONE, contact_email=EMAIL, place=PLACE, consent=True
    )
    needed_by = (clock.today("Asia/Shanghai") + timedelta(days=3)).isoformat()
    converted = await residents.act(
        receipt["id"],
        "convert",
        {"title": "Food parcels", "quantity": 2, "unit": "parcels", "needed_by": needed_by},
    )
    incident = residents.incident_id
    paths = [
        "/",
        "/data",
        "/help",
        f"/incidents/{incident}",
        f"/needs/{converted['need_id']}",
        f"/api/v1/needs/{converted['need_id']}",
        f"/api/v1/needs?incident_id={incident}",
        f"/api/v1/help-requests/counts?incident_id={incident}",
        receipt["follow_up_url"],
        "/api/v1/help-requests/track/" + receipt["follow_up_url"].rsplit("/", 1)[-1],
    ]
    for name in ("needs", "3w"):
        paths += [f"/api/v1/export/{name}.csv", f"/api/v1/export/{name}.json?limit=10000"]
    public = residents.client
    for path in paths:
        response = await public.get(path)
        assert response.status_code == 200, path
        for value in (NAME, PHONE, EMAIL, PLACE, "4567"):
            assert value not in response.text, f"{value} leaked on {path}"
    # The public sees counts only; the queue with the contact needs an official's token.
    counts = (await public.get(f"/api/v1/help-requests/counts?incident_id={incident}")).json()
    assert counts == [
        {
            "area_id": residents.setup.village["id"],
            "category": "food",
            "status": "converted",
            "count": 1,
        }
    ]
    assert (await public.get(f"/api/v1/help-requests?incident_id={incident}")).status_code == 401
    queue = await residents.queue()
    assert queue[0]["contact_phone"] == PHONE


async def test_the_audit_of_a_request_keeps_no_contact(residents, app):
    receipt = await residents.ask(contact_name=NAME, contact_phone=PHONE, consent=True)
    await residents.act(receipt["id"], "verify", {"note": "Called back"})
    async with app.state.database.session() as session:
        rows = (await session.execute(select(AuditEntry))).scalars().all()
    text = " ".join(str(row.model_dump()) for row in rows)
    assert "help_request.verify" in text
    assert NAME not in text and PHONE not in text
