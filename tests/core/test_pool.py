"""Connections on PostgreSQL: one closed under an idle pool is replaced before a request uses
it, a busy pool's are used without a ping, and a read-only page reads without a transaction."""

import pytest
import pytest_asyncio
from sqlalchemy import event, text
from starlette.requests import HTTPConnection

from core import db as core_db
from core.db import Database, get_session, reads_without_transaction
from core.settings import Settings

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def database(migrated_url):
    if not migrated_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (TEST_DATABASE_URL)")
    database = Database(Settings(database_url=migrated_url, db_pool_size=1, db_max_overflow=0))
    yield database
    await database.dispose()


async def _backend_pid(database: Database) -> int:
    async with database.session(write=False) as session:
        return await session.scalar(text("SELECT pg_backend_pid()"))


async def test_a_connection_killed_while_idle_is_replaced_before_use(database):
    records = []
    event.listen(database.engine.sync_engine, "checkin", lambda _c, record: records.append(record))
    first = await _backend_pid(database)
    other = Database(database.settings)
    try:
        async with other.engine.connect() as admin:
            await admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
    finally:
        await other.dispose()
    # The pool's one connection, closed by the server, looks as if it had waited an hour.
    records[-1].info[core_db._IDLE_SINCE] -= 3600
    assert await _backend_pid(database) != first


async def test_a_busy_pool_uses_its_connections_without_a_ping(database):
    await _backend_pid(database)
    pings: list = []
    dialect = database.engine.sync_engine.dialect
    original = dialect.do_ping

    def do_ping(dbapi_connection):
        pings.append(dbapi_connection)
        return original(dbapi_connection)

    dialect.do_ping = do_ping
    try:
        for _ in range(3):
            await _backend_pid(database)
    finally:
        del dialect.do_ping
    assert pings == []


async def _two_transaction_ids(database: Database, *, without_transaction: bool) -> set[int]:
    scope = {"type": "http", "method": "GET", "headers": [], "commons.database": database}
    conn = HTTPConnection(scope)
    if without_transaction:
        await reads_without_transaction(conn)
    session = get_session(conn)
    try:
        return {await session.scalar(text("SELECT txid_current()")) for _ in range(2)}
    finally:
        await session.close()


async def test_a_read_only_page_runs_each_statement_on_its_own(database):
    assert len(await _two_transaction_ids(database, without_transaction=True)) == 2
    # Otherwise the request's statements share one transaction, as before.
    assert len(await _two_transaction_ids(database, without_transaction=False)) == 1
