"""Alembic environment: imports every domain's models, then migrates with the async engine."""

import asyncio
import importlib

from alembic import context
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

import core.models  # noqa: F401  (registers kernel tables)
from core.app import DOMAINS
from core.settings import Settings

for _name in DOMAINS:
    importlib.import_module(f"{_name}.models")

target_metadata = SQLModel.metadata
config = context.config


def _url() -> str:
    return (
        config.attributes.get("database_url")
        or config.get_main_option("sqlalchemy.url")
        or Settings().database_url
    )


def run_offline() -> None:
    context.configure(
        url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True
    )
    with context.begin_transaction():
        context.run_migrations()


def _ours(name, type_, parent_names) -> bool:
    # pgqueuer's tables (q001) belong to the library: autogenerate must not drop them.
    return not (type_ == "table" and (name or "").startswith("pgqueuer"))


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_name=_ours,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_online() -> None:
    engine = create_async_engine(_url())
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    asyncio.run(run_online())
