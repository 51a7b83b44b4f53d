"""The demo data set gives the triage queue something to show: a duplicate and a conversion."""

import pytest
from sqlalchemy import select

from core.cli import load_demo as load
from residents.models import HelpRequest

pytestmark = pytest.mark.asyncio


async def test_demo_has_a_verified_a_merged_and_a_converted_request(settings, db):
    assert await load(settings) is True
    rows = (await db.execute(select(HelpRequest).order_by(HelpRequest.id))).scalars().all()
    assert [r.status for r in rows] == ["verified", "received", "converted", "duplicate"]
    assert rows[3].duplicate_of_id == rows[2].id
    assert rows[2].need_id is not None and rows[3].need_id == rows[2].need_id
