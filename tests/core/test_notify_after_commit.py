"""PostgreSQL NOTIFYs of live updates and queued jobs go out after the commit, from the hub's
own connection, not inside the writing transaction (PostgreSQL commits notifying transactions
one at a time, fsync included); a rolled-back transaction announces nothing."""

import asyncio
import json

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from core import jobs
from core.db import Database
from core.events import CHANNEL, publish

pytestmark = pytest.mark.asyncio


@pytest.fixture
def pg_settings(settings):
    if settings.is_sqlite:
        pytest.skip("NOTIFY is PostgreSQL's")
    return settings


class Heard:
    """What a LISTEN connection hears: (notifying backend's pid, channel, payload)."""

    def __init__(self):
        self.items: list[tuple[int, str, str]] = []
        self.arrived = asyncio.Event()

    def __call__(self, _connection, pid, channel, payload):
        self.items.append((pid, channel, payload))
        self.arrived.set()

    async def wait(self, seconds: float = 5.0) -> None:
        await asyncio.wait_for(self.arrived.wait(), seconds)


async def listening(settings, *channels) -> tuple[asyncpg.Connection, Heard]:
    dsn = make_url(settings.database_url).set(drivername="postgresql")
    connection = await asyncpg.connect(dsn.render_as_string(False))
    heard = Heard()
    for channel in channels:
        await connection.add_listener(channel, heard)
    return connection, heard


async def test_committed_changes_are_announced_after_the_commit_from_another_backend(
    pg_settings,
):
    database = Database(pg_settings)
    listener, heard = await listening(pg_settings, CHANNEL, jobs.QUEUE_CHANNEL)
    try:
        async with database.transaction() as session:
            pid = await session.scalar(text("SELECT pg_backend_pid()"))
            publish(session, 7, "signup")
            publish(session, 7, "signup")
            await jobs.enqueue(session, "volunteers.mail", {"kind": "confirmed"})
        while {channel for _pid, channel, _p in heard.items} != {CHANNEL, jobs.QUEUE_CHANNEL}:
            heard.arrived.clear()
            await heard.wait()
        # Not from the transaction's backend: the queue's trigger no longer notifies on INSERT.
        assert all(sender != pid for sender, _c, _p in heard.items)
        live = [payload for _pid, channel, payload in heard.items if channel == CHANNEL]
        assert live == ["7:signup"]
        (woken,) = [p for _pid, channel, p in heard.items if channel == jobs.QUEUE_CHANNEL]
        assert json.loads(woken)["type"] == "table_changed_event"
        assert json.loads(woken)["operation"] == "insert"
    finally:
        await listener.close()
        await database.dispose()


async def test_a_rolled_back_transaction_announces_nothing(pg_settings):
    database = Database(pg_settings)
    listener, heard = await listening(pg_settings, CHANNEL, jobs.QUEUE_CHANNEL)
    try:
        with pytest.raises(RuntimeError):
            async with database.transaction() as session:
                publish(session, 8, "need")
                await jobs.enqueue(session, "volunteers.mail", {"kind": "confirmed"})
                raise RuntimeError("refused")
        async with database.transaction() as session:
            publish(session, 8, "task")
        await heard.wait()
        await asyncio.sleep(0.2)
        assert [payload for _pid, _channel, payload in heard.items] == ["8:task"]
    finally:
        await listener.close()
        await database.dispose()


async def test_a_burst_of_commits_is_announced_in_few_notifications(pg_settings):
    database = Database(pg_settings)
    listener, heard = await listening(pg_settings, CHANNEL)

    async def change(incident_id: int) -> None:
        async with database.transaction() as session:
            publish(session, incident_id, "signup")

    try:
        await asyncio.gather(*(change(9) for _ in range(20)), change(10))
        while {payload for _pid, _c, payload in heard.items} != {"9:signup", "10:signup"}:
            heard.arrived.clear()
            await heard.wait()
        await asyncio.sleep(0.2)
        # Commits that land while a NOTIFY is on its way share the next one.
        assert len(heard.items) < 21
    finally:
        await listener.close()
        await database.dispose()
