"""SQLite connections: a bounded pool like PostgreSQL's, each with the configured page cache."""

import pytest
from sqlalchemy import exc, text

from core.db import Database
from core.settings import Settings

pytestmark = pytest.mark.asyncio


async def test_each_connection_keeps_the_configured_page_cache(tmp_path):
    database = Database(
        Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", sqlite_cache_kib=300)
    )
    try:
        async with database.engine.connect() as conn:
            assert await conn.scalar(text("PRAGMA cache_size")) == -300
    finally:
        await database.dispose()


async def test_a_database_file_opens_no_more_than_pool_and_overflow(tmp_path):
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}",
        db_pool_size=2,
        db_max_overflow=1,
        db_pool_timeout=0.2,
    )
    database = Database(settings)
    held = [await database.engine.connect() for _ in range(3)]
    try:
        with pytest.raises(exc.TimeoutError, match="size 2 overflow 1"):
            await database.engine.connect()
    finally:
        for conn in held:
            await conn.close()
        await database.dispose()
