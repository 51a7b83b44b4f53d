"""Scheduled follow-up: "still needed?", expiry of the silent, erasure of closed contacts."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from core import clock
from core.models import AuditEntry
from residents import service
from residents.models import HelpRequest

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
    assert view["updates"][-1]["message"].startswith("Is this still needed?")
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
        contact_name="Li Si", contact_phone="+86 137 2222 3333", consent=True
    )
    await residents.confirm(receipt, done=True)
    clock.advance(timedelta(days=30))
    assert await _run(app, service.erase_closed) == {"erased": 0}
    clock.advance(timedelta(days=61))
    assert await _run(app, service.erase_closed) == {"erased": 1}
    async with app.state.database.session() as session:
        row = await session.get(HelpRequest, receipt["id"])
        assert (row.contact_name, row.contact_phone, row.erased_at is not None) == (
            None,
            None,
            True,
        )
        erased = await session.execute(
            select(AuditEntry).where(AuditEntry.action == "help_request.erase")
        )
        assert erased.scalar_one().object_id == receipt["id"]
    assert (await residents.track_api(receipt))["status"] == "closed"
