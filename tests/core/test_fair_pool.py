"""The connection pool serves waiting requests first come, first served, and loses nothing."""

import asyncio

import pytest
from sqlalchemy.util import queue as sqla_queue
from sqlalchemy.util.concurrency import greenlet_spawn

from core.db import FairQueuePool, _FairQueue, create_engine
from core.settings import Settings

pytestmark = pytest.mark.asyncio


def _get(queue: _FairQueue, timeout: float = 5.0):
    # The pool calls get() from SQLAlchemy's greenlet, as here.
    return asyncio.create_task(greenlet_spawn(queue.get, True, timeout))


async def test_a_connection_given_back_goes_to_the_longest_waiter():
    queue = _FairQueue(2)
    first = _get(queue)
    await asyncio.sleep(0.01)
    # A request arriving as the connection comes back: its first step runs before the
    # waiter's wake-up, and with asyncio.Queue it took the connection and the waiter queued
    # again at the back.
    late = _get(queue)
    queue.put_nowait("connection")
    await asyncio.sleep(0.01)
    assert first.done() and first.result() == "connection"
    assert not late.done()
    queue.put_nowait("another")
    assert await late == "another"


async def test_a_wait_that_times_out_or_is_cancelled_loses_no_connection():
    queue = _FairQueue(2)
    with pytest.raises(sqla_queue.Empty):
        await greenlet_spawn(queue.get, True, 0.02)
    cancelled = _get(queue)
    await asyncio.sleep(0.01)
    cancelled.cancel()
    await asyncio.sleep(0.01)
    queue.put_nowait("connection")
    assert queue.get_nowait() == "connection"


async def test_the_engine_uses_it(database_url):
    engine = create_engine(Settings(database_url=database_url, db_pool_size=1))
    try:
        if engine.url.get_backend_name() == "sqlite" and engine.url.database in (None, ""):
            pytest.skip("an in-memory database keeps its single connection")
        assert isinstance(engine.sync_engine.pool, FairQueuePool)
        async with engine.connect() as conn:
            assert conn is not None
    finally:
        await engine.dispose()
