"""Async database engine, one session per request, and column types shared by every domain."""

import asyncio
import html
import json
import logging
import time
from collections import deque, namedtuple
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC
from functools import cache
from typing import Any
from uuid import uuid4

from sqlalchemy import JSON, DateTime, Row, Table, event, exc, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.pool import AsyncAdaptedQueuePool, NullPool
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator
from sqlalchemy.util import queue as sqla_queue
from sqlalchemy.util.concurrency import await_
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Imported for its session listeners: every write bumps the public versions it changes.
from core import cache as _cache
from core.domain import Extensions
from core.events import HUB_KEY, EventHub
from core.logs import request_id_of
from core.settings import Settings

SCOPE_KEY = "commons.db_session"
SETTINGS_KEY = "commons.settings"
log = logging.getLogger("commons")


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
        # A database file gets the same bounded pool as PostgreSQL (SQLAlchemy's default let a
        # worker open 15, each with its own page cache); an in-memory one keeps its single.
        in_memory = url.database in (None, "", ":memory:")
        pool = {} if in_memory else _pool_options(settings)
        engine = create_async_engine(url, connect_args={"timeout": 30}, **pool)
        _configure_sqlite(engine, settings.sqlite_cache_kib)
    elif settings.pgbouncer:
        # PgBouncer in transaction mode hands each transaction a different server connection,
        # so prepared statements must not outlive one: no caches, and unique statement names.
        engine = create_async_engine(
            url.update_query_dict({"prepared_statement_cache_size": "0"}),
            **_pool_options(settings),
            connect_args={
                "statement_cache_size": 0,
                "prepared_statement_name_func": lambda: f"__commons_{uuid4().hex}__",
            },
        )
    else:
        engine = create_async_engine(url, **_pool_options(settings))
    if url.get_backend_name() != "sqlite":
        _ping_after_idle(engine, PING_AFTER_IDLE_SECONDS)
    return engine


def _pool_options(settings: Settings) -> dict:
    return {
        "poolclass": FairQueuePool,
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_max_overflow,
        "pool_timeout": settings.db_pool_timeout,
    }


class _FairQueue(sqla_queue.AsyncAdaptedQueue):
    """The pool's queue, first come first served: a connection given back goes straight to the
    request that has waited longest. asyncio.Queue lets a request arriving just then take it
    first (the woken waiter finds the queue empty and queues again at the back), so under a
    steady surge a few requests waited a second while the median waited milliseconds."""

    def __init__(self, maxsize: int = 0, use_lifo: bool = False):
        super().__init__(maxsize, use_lifo)
        self._waiters: deque[asyncio.Future] = deque()

    def put_nowait(self, item) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(item)
                return
        super().put_nowait(item)

    def get(self, block: bool = True, timeout: float | None = None):
        if not block or not self._waiters:
            try:
                return self.get_nowait()
            except sqla_queue.Empty:
                if not block:
                    raise
        return await_(self._wait(timeout))

    async def _wait(self, seconds: float | None):
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(seconds):
                await waiter
        except BaseException as exc:
            if waiter.done() and not waiter.cancelled():
                # Handed a connection just as the wait ended (a timeout, a cancelled
                # request): it goes to the next in line, not lost to the pool.
                self.put_nowait(waiter.result())
            if isinstance(exc, TimeoutError):
                raise sqla_queue.Empty() from exc
            raise
        return waiter.result()


class FairQueuePool(AsyncAdaptedQueuePool):
    """SQLAlchemy's asyncio pool with a first-come-first-served queue (`_FairQueue`)."""

    _queue_class = _FairQueue


# A pooled connection unused this long may have been closed under it (a server restart, an
# idle timeout, a firewall) and is checked before use; one returned a moment ago is not.
PING_AFTER_IDLE_SECONDS = 10.0
_IDLE_SINCE = "commons.idle_since"


def _ping_after_idle(engine: AsyncEngine, idle_seconds: float) -> None:
    """pool_pre_ping without its cost on a busy pool: with asyncpg each ping is three round
    trips (BEGIN, the ping, ROLLBACK) before every request's first statement. Only a
    connection idle longer than `idle_seconds` is pinged; a dead one is replaced by a new
    connection before the request uses it, as pre-ping would."""
    dialect = engine.sync_engine.dialect

    @event.listens_for(engine.sync_engine, "checkin")
    def _checkin(_dbapi_connection, record) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _checkout(dbapi_connection, record, _proxy) -> None:
        since = record.info.get(_IDLE_SINCE)
        if since is None or time.monotonic() - since <= idle_seconds:
            return
        try:
            alive = dialect.do_ping(dbapi_connection)
        except Exception as error:  # any failure to answer means the connection is gone
            raise exc.DisconnectionError(str(error)) from error
        if not alive:
            raise exc.DisconnectionError("ping failed")


class PoolBudgetExceeded(Exception):
    """The web workers' pools could exhaust PostgreSQL's connections."""


async def check_connection_budget(settings: Settings, workers: int) -> str | None:
    """Refuse a configuration whose pools could open more connections than the server allows
    (the "too many clients already" failure under load); returns a summary when it fits."""
    if settings.is_sqlite:
        return None
    per_worker = settings.db_pool_size + settings.db_max_overflow
    engine = create_async_engine(make_url(settings.database_url), poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            allowed = int(await conn.scalar(text("SHOW max_connections")))
    finally:
        await engine.dispose()
    budget = allowed - settings.db_connection_reserve
    wanted = workers * per_worker
    if wanted >= budget:
        raise PoolBudgetExceeded(
            f"{workers} worker(s) × (COMMONS_DB_POOL_SIZE {settings.db_pool_size} + "
            f"COMMONS_DB_MAX_OVERFLOW {settings.db_max_overflow}) = {wanted} connections, but "
            f"PostgreSQL allows {allowed} minus a reserve of "
            f"{settings.db_connection_reserve} (COMMONS_DB_CONNECTION_RESERVE) = {budget}. "
            "Use fewer workers, smaller pools, or PgBouncer."
        )
    return f"{wanted} of {budget} PostgreSQL connections"


def _configure_sqlite(engine: AsyncEngine, cache_kib: int) -> None:
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
        # Each pooled connection keeps a page cache of its own; a negative size is in KiB.
        cursor.execute(f"PRAGMA cache_size=-{int(cache_kib)}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn):
        if conn.get_execution_options().get("commons_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


class Database:
    """The engine plus two session factories: reads, and writes (BEGIN IMMEDIATE on SQLite)."""

    def __init__(self, settings: Settings, extensions: Extensions | None = None):
        self.settings = settings
        self.engine = create_engine(settings)
        # Every session carries the domains' extensions, so services reach the providers and
        # hooks the same way in a request, the CLI, a worker or a test.
        self.extensions = extensions or Extensions()
        # This process's open live-update streams, which commits on SQLite wake directly;
        # and one dict of this database's caches (core.cache.local), shared by its sessions.
        self.events = EventHub(settings)
        self.caches: dict = {}
        info = {
            Extensions.INFO_KEY: self.extensions,
            SETTINGS_KEY: settings,
            HUB_KEY: self.events,
            _cache.CACHES_KEY: self.caches,
            _cache.TTL_KEY: settings.public_version_ttl,
        }
        self._reads = async_sessionmaker(self.engine, expire_on_commit=False, info=info)
        self._writes = async_sessionmaker(
            self.engine.execution_options(commons_write=True), expire_on_commit=False, info=info
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
        await self.events.close()
        await self.engine.dispose()


class DBSessionMiddleware:
    """The transaction owner: at most one session per request, opened lazily, committed once
    when the handler succeeded and before the response starts, rolled back otherwise.

    Success is a response below 400; a refusal (a DomainError answered with a 4xx, an invalid
    form re-rendered with 422) and any exception roll back, so nothing is half-written. When
    the commit itself fails the client gets a 500 instead of the handler's answer.
    """

    def __init__(self, app: ASGIApp, database: Database):
        self.app = app
        self.database = database

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})
        scope["commons.database"] = self.database
        failed = False
        # What the signed session held before the handler: restored when the commit fails, so
        # a cookie never names a user or sign-in that was rolled back.
        session_before = dict(scope["session"]) if "session" in scope else None

        async def send_after_commit(message: Message) -> None:
            nonlocal failed
            if failed:
                return
            if message["type"] == "http.response.start":
                session: AsyncSession | None = scope.get(SCOPE_KEY)
                if session is not None:
                    try:
                        if message["status"] < 400:
                            await session.commit()
                        else:
                            await session.rollback()
                    except Exception:
                        log.exception("commit failed on %s", scope.get("path"))
                        failed = True
                        if session_before is not None:
                            scope["session"].clear()
                            scope["session"].update(session_before)
                        await _send_commit_failure(scope, send)
                        return
            await send(message)

        try:
            await self.app(scope, receive, send_after_commit)
        finally:
            # Still open after the commit for a streamed body that reads as it goes.
            session = scope.pop(SCOPE_KEY, None)
            if session is not None:
                await session.close()


async def _send_commit_failure(scope: Scope, send: Send) -> None:
    message = "The change could not be saved. Please try again."
    reference = request_id_of(scope) or ""
    if scope.get("path", "").startswith("/api/"):
        error = {"code": "server_error", "message": message, "fields": {}, "reference": reference}
        body = json.dumps({"error": error}).encode()
        content_type = b"application/json"
    else:
        body = (
            f"<!doctype html><title>500</title><h1>500</h1><p>{message}</p>"
            f"<p>Reference: {html.escape(reference)}</p>"
        ).encode()
        content_type = b"text/html; charset=utf-8"
    await send(
        {"type": "http.response.start", "status": 500, "headers": [(b"content-type", content_type)]}
    )
    await send({"type": "http.response.body", "body": body})


@asynccontextmanager
async def side_transaction(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """A second, short write transaction beside `session`'s (same engine, same extensions),
    committed on exit: a long job reports its progress through it while its own transaction
    stays open (on SQLite only while that one has not written yet: it holds the lock)."""
    async with AsyncSession(session.bind, expire_on_commit=False, info=session.info) as side:
        try:
            yield side
            await side.commit()
        except BaseException:
            await side.rollback()
            raise


async def bulk_insert(
    session: AsyncSession,
    table: Table,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    incident_id: int | None = None,
) -> int:
    """Insert many rows below the ORM: COPY on PostgreSQL, one executemany on SQLite.

    Values go through each column type's own bind processing, so they are stored exactly as
    an ORM insert would store them; the incident's public figures are marked as changed, as
    the cache's statement hook would for an ORM bulk insert."""
    conn = await session.connection()
    dialect = conn.dialect
    # Below the ORM no Python-side default applies: a column added later with a scalar
    # default (and no server default) would otherwise arrive as NULL.
    defaults = {
        column.name: column.default.arg
        for column in table.c
        if column.name not in columns
        and column.default is not None
        and column.default.is_scalar
        and column.server_default is None
    }
    columns = (*columns, *defaults)
    extra = tuple(defaults.values())
    prepared = [(*row, *extra) for row in rows]
    if not prepared:
        return 0
    # Column by column, and only the columns whose type processes values: a run writes tens of
    # thousands of rows, and most columns (integers, text) go to the driver as they are.
    processors = [table.c[name].type.bind_processor(dialect) for name in columns]
    if any(p is not None for p in processors):
        values = list(zip(*prepared, strict=True))
        for index, processor in enumerate(processors):
            if processor is not None:
                values[index] = [None if v is None else processor(v) for v in values[index]]
        prepared = list(zip(*values, strict=True))
    if table.name not in _cache.PRIVATE_TABLES:
        _cache.touch(session, incident_id)
    if dialect.name == "postgresql":
        driver = (await conn.get_raw_connection()).driver_connection
        if not driver.is_in_transaction():
            # The adapter begins its transaction lazily, at the first statement: COPY alone
            # would run outside it and survive a rollback.
            await conn.exec_driver_sql("SELECT 1")
        await driver.copy_records_to_table(table.name, records=prepared, columns=list(columns))
    else:
        marks = ", ".join("?" * len(columns))
        names = ", ".join(dialect.identifier_preparer.quote(name) for name in columns)
        await conn.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", prepared)
    return len(prepared)


async def reads_without_transaction(conn: HTTPConnection) -> None:
    """For a page that only reads, on PostgreSQL: its statements run with no BEGIN and COMMIT
    round trips around them. Under READ COMMITTED each statement reads a snapshot of its own
    inside a transaction too, so the page shows the same; a write or a server-side cursor (a
    streamed export) needs a transaction and must not come after this."""
    session = get_session(conn)
    if session.in_transaction() or session.bind.dialect.name != "postgresql":
        return
    await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


@cache
def _record_layout(table: Table) -> tuple[type, int, tuple[int, ...]]:
    keys = [column.key for column in table.columns]
    primary = tuple(keys.index(column.key) for column in table.primary_key)
    return namedtuple(f"{table.name}_record", keys), len(keys), primary


def records(row: Row | tuple, *tables: Table) -> tuple:
    """A row of `select(table, other, …)` as one read-only record per table, its columns as
    attributes like the model's; None for a table an outer join found no row of. A page that
    only shows rows reads them so, without the ORM's identity map and instance state."""
    found, start = [], 0
    for table in tables:
        record, width, primary = _record_layout(table)
        values = row[start : start + width]
        start += width
        missing = all(values[i] is None for i in primary)
        found.append(None if missing else record(*values))
    return tuple(found)


async def core_connection(session: AsyncSession) -> AsyncConnection:
    """The session's connection, for a prebuilt statement of plain table columns whose rows
    are read as records: the ORM's execution path costs a third more than Core's for it.
    What the session holds unflushed is flushed first, as `session.execute` would."""
    if session.new or session.dirty or session.deleted:
        await session.flush()
    return await session.connection()


class _DriverStatement:
    """A prebuilt statement compiled once for asyncpg: its SQL, the order of its parameters
    with the values it binds itself, and each result column's processing, as SQLAlchemy's
    execution would apply them."""

    def __init__(self, statement, dialect):
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        binds = {compiled.bind_names[b]: b for b in compiled.binds.values()}
        self.parameters = [
            (name, binds[name].value, binds[name].type._cached_bind_processor(dialect))
            for name in compiled.positiontup
        ]
        self._types = [entry.type for entry in compiled._result_columns]
        self._dialect = dialect
        self.processors: list | None = None

    async def prepare(self, driver) -> list:
        """Each column's processing for the type the server says it returns (its OID, as
        SQLAlchemy's cursor description gives it), found once."""
        if self.processors is None:
            # A name of its own: behind PgBouncer another client may hold a statement
            # named as asyncpg's counter would name this one.
            named = await driver.prepare(self.sql, name=f"__commons_{uuid4().hex}__")
            attributes = named.get_attributes()
            # A text() statement names no column types: its values come as the driver's.
            kinds = self._types or [None] * len(attributes)
            self.processors = [
                None
                if kind is None
                else kind._cached_result_processor(self._dialect, attribute.type.oid)
                for kind, attribute in zip(kinds, attributes, strict=True)
            ]
        return self.processors


_DRIVER_STATEMENTS: dict[int, tuple[Any, _DriverStatement]] = {}


async def read_rows(connection: AsyncConnection, statement, params: dict) -> list[tuple]:
    """The rows of a prebuilt read-only statement of plain columns, as tuples. On PostgreSQL
    it runs on asyncpg's connection itself: SQLAlchemy's execution (greenlet, cursor, result)
    costs twice the driver's fetch for one statement on a page read by everybody. The
    engine's statement listeners (the safe-method guard, counts in tests) still hear of it."""
    if connection.dialect.name != "postgresql":
        return [tuple(row) for row in (await connection.execute(statement, params)).all()]
    found = _DRIVER_STATEMENTS.get(id(statement))
    if found is None or found[0] is not statement:
        found = _DRIVER_STATEMENTS[id(statement)] = (
            statement,
            _DriverStatement(statement, connection.dialect),
        )
    prepared = found[1]
    values = []
    for name, fixed, process in prepared.parameters:
        value = params.get(name, fixed)
        values.append(process(value) if process is not None else value)
    sync = connection.sync_connection
    if sync.dispatch.before_cursor_execute:
        sync.dispatch.before_cursor_execute(sync, None, prepared.sql, values, None, False)
    driver = sync.connection.driver_connection
    processors = await prepared.prepare(driver)
    return [
        tuple(
            value if process is None else process(value)
            for process, value in zip(processors, record, strict=True)
        )
        for record in await driver.fetch(prepared.sql, *values)
    ]


class json_array(FunctionElement):
    """A JSON array of the values of one column over the rows aggregated, ordered by that
    column (PostgreSQL's json_agg, SQLite's json_group_array over a subquery already in that
    order): a page's list of names as one column of its statement. No rows: NULL on
    PostgreSQL, an empty array on SQLite."""

    type = JSON()
    name = "json_array"
    inherit_cache = True


@compiles(json_array)
def _json_array(element, compiler, **kw) -> str:
    return f"json_group_array({compiler.process(element.clauses, **kw)})"


@compiles(json_array, "postgresql")
def _json_array_postgresql(element, compiler, **kw) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"json_agg({column} ORDER BY {column})"


class json_rows(FunctionElement):
    """The rows aggregated as one JSON array of arrays of these columns' values, in no
    particular order (PostgreSQL's json_agg of json_build_array, SQLite's json_group_array of
    json_array): a few grouped totals as one column of another page's statement. Numbers and
    text only, which JSON keeps as they are. No rows: NULL on PostgreSQL, an empty array on
    SQLite."""

    type = JSON()
    name = "json_rows"
    inherit_cache = True


@compiles(json_rows)
def _json_rows(element, compiler, **kw) -> str:
    return f"json_group_array(json_array({compiler.process(element.clauses, **kw)}))"


@compiles(json_rows, "postgresql")
def _json_rows_postgresql(element, compiler, **kw) -> str:
    return f"json_agg(json_build_array({compiler.process(element.clauses, **kw)}))"


def settings_of(session: AsyncSession) -> Settings:
    """The settings of the database a session belongs to (a job handler has no request)."""
    return session.info.get(SETTINGS_KEY) or Settings()


def get_session(conn: HTTPConnection) -> AsyncSession:
    """The request's session: write transactions for unsafe methods, plain reads otherwise."""
    session = conn.scope.get(SCOPE_KEY)
    if session is None:
        database: Database = conn.scope["commons.database"]
        write = conn.scope.get("method", "GET") not in ("GET", "HEAD", "OPTIONS")
        session = database.session(write=write)
        if _cache.answers_live_update(conn.headers):
            _cache.read_fresh(session)
        conn.scope[SCOPE_KEY] = session
    return session
