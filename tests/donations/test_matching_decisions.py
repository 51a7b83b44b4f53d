"""Deciding many proposals at once: each keeps its own audit row, written in one statement."""

import pytest
from sqlalchemy import event, func, select

from core.models import AuditEntry
from donations.models import Match, Offer
from tests.donations.conftest import offer_body, run_matching

pytestmark = pytest.mark.asyncio


async def _offers(client, world, count: int, quantity: int, **body) -> None:
    for _ in range(count):
        response = await client.post(
            "/api/v1/offers",
            json=offer_body(world.incident.id, quantity=quantity, **body),
            headers=world.headers["ngo"],
        )
        assert response.status_code == 201, response.text


class _AuditInserts:
    """Counts the INSERT statements into the audit log the driver is sent."""

    def __init__(self, app):
        self.engine = app.state.database.engine.sync_engine
        self.count = 0

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO AUDIT_LOG"):
            self.count += 1


async def _audit_rows(app, action: str) -> list[AuditEntry]:
    async with app.state.database.session() as session:
        rows = await session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.object_id)
        )
        return list(rows)


@pytest.mark.parametrize("action", ["accept", "decline"])
async def test_a_bulk_decision_audits_each_proposal_in_one_statement(client, world, app, action):
    # Four offers of 75 meals share the 300-meal need: four proposals of one filter.
    await _offers(client, world, 4, 75)
    await _offers(client, world, 1, 40, category="shelter", unit="tents")
    result = await run_matching(client, world)
    food = sorted(p["id"] for p in result["proposals"] if p["need_id"] == world.needs[0].id)
    assert len(food) == 4
    url = f"/api/v1/matching/runs/{result['id']}/decisions"
    with _AuditInserts(app) as inserts:
        decided = await client.post(
            url, json={"action": action, "category": "food"}, headers=world.headers["official"]
        )
    assert decided.status_code == 200, decided.text
    status = "accepted" if action == "accept" else "declined"
    assert sorted(p["id"] for p in decided.json()["decided"]) == food
    assert {p["status"] for p in decided.json()["decided"]} == {status}
    # SQLite gets one executemany; PostgreSQL gets COPY, which is no INSERT statement.
    assert inserts.count <= 1
    rows = await _audit_rows(app, f"match.{action}")
    assert [r.object_id for r in rows] == food
    official = world.official.id
    for row in rows:
        assert row.object_type == "matches" and row.actor_id == official
        assert row.before["status"] == "proposed" and row.after["status"] == status
        assert row.after["decided_by_id"] == official and row.after["decided_at"]
    async with app.state.database.session() as session:
        stored = dict(
            (await session.execute(select(Match.id, Match.status).where(Match.id.in_(food)))).all()
        )
        committed = await session.scalar(select(func.sum(Offer.quantity_committed)))
    assert set(stored.values()) == {status}
    assert committed == (300 if action == "accept" else 0)
