"""Scheduled follow-up: "still needed?", expiry of the silent, erasure of closed contacts."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from core import clock
from core.models import AuditEntry
from residents import service
from residents.models import Complaint, HelpRequest, SmsMessage

pytestmark = pytest.mark.asyncio


async def _run(app, handler, payload=None):
    async with app.state.database.transaction() as session:
        return await handler(session, payload or {})


async def test_a_silent_request_is_asked_then_expires(residents, app):
    receipt = await residents.ask()
    assert await _run(app, service.follow_up) == {"asked": 0, "expired": 0}
    clock.advance(timedelta(days=8))
    assert await _run(app, service.follow_up) == {"asked": 1, "expired": 0}
    view = await residents.track_api(receipt)
    asked = view["updates"][-1]["message"]
    # A phone without the web page can answer too: the text names the reply.
    reference = (await residents.queue())[0]["reference"]
    assert asked.startswith("Is this still needed?") and f"NO {reference}" in asked
    assert "closes in 3 days" in asked
    assert await _run(app, service.follow_up) == {"asked": 0, "expired": 0}
    clock.advance(timedelta(days=4))
    assert await _run(app, service.follow_up) == {"asked": 0, "expired": 1}
    assert (await residents.track_api(receipt))["status"] == "expired"


async def test_an_answer_keeps_the_request_open(residents, app):
    receipt = await residents.ask()
    clock.advance(timedelta(days=8))
    await _run(app, service.follow_up)
    await residents.confirm(receipt, done=False)
    clock.advance(timedelta(days=4))
    assert await _run(app, service.follow_up) == {"asked": 0, "expired": 0}
    assert (await residents.track_api(receipt))["status"] == "received"


async def test_contacts_are_erased_after_closing_and_the_audit_keeps_the_request(residents, app):
    receipt = await residents.ask(
        contact_name="Li Si",
        contact_phone="+86 137 2222 3333",
        place="Flat 301, Building 3",
        consent=True,
        survey_consent=True,
    )
    await residents.confirm(receipt, done=True)
    clock.advance(timedelta(days=30))
    assert (await _run(app, service.erase_closed))["erased"] == 0
    clock.advance(timedelta(days=61))
    assert (await _run(app, service.erase_closed))["erased"] == 1
    async with app.state.database.session() as session:
        row = await session.get(HelpRequest, receipt["id"])
        assert (row.contact_name, row.contact_phone, row.place, row.erased_at is not None) == (
            None,
            None,
            None,
            True,
        )
        assert row.survey_consent is False
        # The texts sent to the phone went with it.
        kept = await session.scalars(select(SmsMessage).where(SmsMessage.request_id == row.id))
        assert kept.all() == []
        erased = await session.execute(
            select(AuditEntry).where(AuditEntry.action == "help_request.erase")
        )
        assert erased.scalar_one().object_id == receipt["id"]
    assert (await residents.track_api(receipt))["status"] == "closed"


async def test_the_retention_is_a_setting_and_covers_complainants_contacts(residents, app):
    app.state.settings.resident_contact_retention_days = 10
    client = residents.client
    filed = await client.post(
        "/api/v1/complaints",
        json={
            "incident_id": residents.incident_id,
            "about_kind": "platform",
            "text": "Nobody answered the hotline",
            "contact": "wang@example.org",
        },
    )
    assert filed.status_code == 201, filed.text
    complaint_id = filed.json()["id"]
    resolved = await client.post(
        f"/api/v1/complaints/{complaint_id}/resolve",
        json={"resolution": "The hotline has two more operators now."},
        headers=residents.official,
    )
    assert resolved.status_code == 200, resolved.text
    clock.advance(timedelta(days=9))
    assert (await _run(app, service.erase_closed))["complaint_contacts_erased"] == 0
    clock.advance(timedelta(days=2))
    assert (await _run(app, service.erase_closed))["complaint_contacts_erased"] == 1
    async with app.state.database.session() as session:
        complaint = await session.get(Complaint, complaint_id)
        assert complaint.contact is None and complaint.resolution
        erased = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "complaint.erase")
        )
        assert erased.object_id == complaint_id
