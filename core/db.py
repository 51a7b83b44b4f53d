"""Async database engine, one session per request, and column types shared by every domain."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from sqlalchemy import DateTime, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.types import TypeDecorator
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from core.settings import Settings

SCOPE_KEY = "commons.db_session"


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stores UTC; always hands back an aware datetime, since SQLite keeps no zone."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def create_engine(settings: Settings) -> AsyncEngine:
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        engine = create_async_engine(url, connect_args={"timeout": 30})
        _configure_sqlite(engine)
    else:
        engine = create_async_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
    return engine


def _configure_sqlite(engine: AsyncEngine) -> None:
    # pysqlite's own transaction handling would issue a deferred BEGIN; we take over so
    # writes can start with BEGIN IMMEDIATE and never deadlock upgrading a read lock.
    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn):
        if conn.get_execution_options().get("commons_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


class Database:
    """The engine plus two session factories: reads, and writes (BEGIN IMMEDIATE on SQLite)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.engine = create_engine(settings)
        self._reads = async_sessionmaker(self.engine, expire_on_commit=False)
        self._writes = async_sessionmaker(
            self.engine.execution_options(commons_write=True), expire_on_commit=False
        )

    def session(self, *, write: bool = True) -> AsyncSession:
        return (self._writes if write else self._reads)()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A write session that commits on success, for the CLI, workers and tests."""
        async with self.session(write=True) as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def dispose(self) -> None:
        await self.engine.dispose()


class DBSessionMiddleware:
    """Opens at most one session per request, lazily, and always closes it (rolling back)."""

    def __init__(self, app: ASGIApp, database: Database):
        self.app = app
        self.database = database

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})
        scope["commons.database"] = self.database
        try:
            await self.app(scope, receive, send)
        finally:
            session: AsyncSession | None = scope.pop(SCOPE_KEY, None)
            if session is not None:
                await session.close()


def get_session(conn: HTTPConnection) -> AsyncSession:
    """The request's session: write transactions for unsafe methods, plain reads otherwise."""
    session = conn.scope.get(SCOPE_KEY)
    if session is None:
        database: Database = conn.scope["commons.database"]
        write = conn.scope.get("method", "GET") not in ("GET", "HEAD", "OPTIONS")
        session = database.session(write=write)
        conn.scope[SCOPE_KEY] = session
    return session
