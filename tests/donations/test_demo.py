"""The donations demo loads on top of the recovery demo's incident, needs and projects."""

import pytest
from sqlalchemy import func, select

from core.demo import DemoContext
from core.models import Role
from donations import demo
from donations.models import (
    Disbursement,
    Donation,
    DontSendItem,
    LedgerEntry,
    MatchingRun,
    Offer,
)
from donations.service import funds, ledger

pytestmark = pytest.mark.asyncio


async def test_demo_loads_money_offers_and_a_matching_run(app, world, factory, settings):
    company = await factory.user(Role.donor, name="Eastern Textiles Ltd.")
    ctx = DemoContext(settings=settings)
    ctx.users |= {
        "official": world.official,
        "ngo": world.ngo,
        "ngo2": world.ngo2,
        "donor": world.donor,
        "company_donor": company,
    }
    ctx.data |= {"incident": world.incident, "needs": world.needs, "projects": [world.project]}
    async with app.state.database.transaction() as session:
        await demo.load(session, ctx)
    async with app.state.database.session(write=False) as session:
        money = (await funds.incident_funds(session, world.incident.id))["funds"]
        verdict = await ledger.verify(session, world.incident.id)
    assert money["received_minor"] == 5_250_000
    assert money["disbursed_minor"] == 1_500_000
    assert verdict["ok"] and verdict["entries"] == 5


async def test_demo_without_recovery_data_does_nothing(app, settings):
    async with app.state.database.transaction() as session:
        await demo.load(session, DemoContext(settings=settings))
    async with app.state.database.session(write=False) as session:
        for table in (Offer, DontSendItem, Donation, Disbursement, LedgerEntry, MatchingRun):
            count = await session.scalar(select(func.count()).select_from(table))
            assert count == 0, table.__tablename__
