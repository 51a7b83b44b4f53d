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


def _ours(name, type_, parent_names) -> bool:
    """pgqueuer's tables are the library's schema, installed by q001, not models of ours."""
    return not (type_ == "table" and (name or "").startswith("pgqueuer"))


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
            lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={"include_name": _ours}), SQLModel.metadata
            )
        )
    await engine.dispose()
    assert diff == [], f"models differ from migrations (add a revision): {diff}"


async def test_incident_agencies_migration_backfills_the_lead_agency(tmp_path):
    """Existing incidents are led by the organization of the official who opened them."""
    from sqlalchemy import text

    from core.migrate import downgrade

    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        from tests.conftest import _ensure_pg_database, _reset_pg_schema

        url = url + "_backfill"
        await _ensure_pg_database(url)
        await _reset_pg_schema(url)
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'backfill.db'}"
    await asyncio.to_thread(upgrade, url, "a001")
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO organizations (id, name, kind, status, description, created_at) "
                "VALUES (7, 'Recovery Office', 'government', 'verified', '', '2026-03-01')"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO users (id, email, name, password_hash, role, organization_id, "
                "is_active, created_at) VALUES (3, 'o@example.org', 'O', 'x', 'official', 7, "
                "true, '2026-03-01 00:00:00')"
            )
        )
        for incident_id, creator in ((1, "3"), (2, "NULL")):
            await conn.execute(
                text(
                    "INSERT INTO incidents (id, name, started_on, description, status, "
                    f"time_zone, created_by_id, created_at) VALUES ({incident_id}, 'Flood', "
                    f"'2026-03-01', '', 'response', 'UTC', {creator}, '2026-03-01 00:00:00')"
                )
            )
    await engine.dispose()
    await asyncio.to_thread(upgrade, url)
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        rows = await conn.execute(text("SELECT id, lead_org_id FROM incidents ORDER BY id"))
        assert [tuple(row) for row in rows] == [(1, 7), (2, None)]
    await engine.dispose()
    await asyncio.to_thread(downgrade, url, "a001")
