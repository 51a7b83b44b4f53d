"""The Alembic migrations build exactly the schema the models describe, on both engines."""

import asyncio
import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

import core.models  # noqa: F401
from core.app import load_domains
from core.migrate import upgrade

load_domains()  # every domain's tables join the metadata

pytestmark = pytest.mark.asyncio


async def test_models_and_migrations_agree(tmp_path):
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        from tests.conftest import _ensure_pg_database, _reset_pg_schema

        url = url + "_schema"
        await _ensure_pg_database(url)
        await _reset_pg_schema(url)
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'schema.db'}"
    await asyncio.to_thread(upgrade, url)
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        diff = await conn.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), SQLModel.metadata)
        )
    await engine.dispose()
    assert diff == [], f"models differ from migrations (add a revision): {diff}"
