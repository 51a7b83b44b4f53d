"""Overload answers 503 with Retry-After, never 500; pools must fit PostgreSQL's connections."""

import os

import pytest
from sqlalchemy import exc as sa_exc

from core.db import PoolBudgetExceeded, check_connection_budget
from core.settings import Settings

pytestmark = pytest.mark.asyncio


def _no_connection(*_args, **_kwargs):
    raise sa_exc.TimeoutError("QueuePool limit of size 8 overflow 4 reached")


async def test_pool_timeout_is_503_with_retry_after(client, monkeypatch):
    from recovery.service import needs

    monkeypatch.setattr(needs, "need_counts", _no_connection)
    api = await client.get("/api/v1/needs?limit=40")
    assert api.status_code == 503
    assert api.headers["retry-after"] == "2"
    assert api.json()["error"]["code"] == "unavailable"
    page = await client.get("/needs")
    assert page.status_code == 503 and page.headers["retry-after"] == "2"
    assert "busy" in page.text


async def test_other_database_errors_stay_500(client, monkeypatch):
    from recovery.service import needs

    def broken(*_args, **_kwargs):
        raise sa_exc.DBAPIError("SELECT", {}, Exception("syntax error"))

    monkeypatch.setattr(needs, "need_counts", broken)
    assert (await client.get("/api/v1/needs?limit=40")).status_code == 500


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="PostgreSQL only")
async def test_pools_larger_than_the_server_allows_are_refused(database_url):
    small = Settings(database_url=database_url, db_pool_size=8, db_max_overflow=4)
    assert "connections" in await check_connection_budget(small, workers=2)
    with pytest.raises(PoolBudgetExceeded, match="COMMONS_DB_POOL_SIZE"):
        await check_connection_budget(small, workers=20)


async def test_sqlite_has_no_connection_budget(tmp_path):
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    assert await check_connection_budget(settings, workers=50) is None
