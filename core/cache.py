"""Versions of the public figures, bumped in the writing transaction, and small page caches.

Every committed write to a table a public page may show bumps a version in
`public_versions`, inside the same transaction: the incident's row when the changed row names
its incident, else the global row (incident 0) when a bulk statement leaves it unknown. A
reader takes both versions first, then reads the figures; whatever it renders is stored under
those versions, so a page is never served after a later write committed. The bump is issued
just before COMMIT, so the version row is locked only for the commit itself; on PostgreSQL
the transaction's NOTIFYs (`notify_on_commit`) ride in the same statement, one round trip.

A process remembers the versions it read for `public_version_ttl` seconds, so a busy page
served from the cache costs no database round trip; its own commits forget them at once, so
only another process's write can go unseen, and for at most that long (public pages say
`max-age` of the same order to nginx and browsers anyway). A page answered again and again
(core.pages.SharedFront) has its versions read again in the background in the last quarter of
that time, so under load they never lapse for every request in flight at once.
"""

import asyncio
import random
import sys
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session

INFO_KEY = "commons.touched"
BUMPED_KEY = "commons.bumped"
PREBUMPED_KEY = "commons.bumped_by_statement"
HINTS_KEY = "commons.incident_hints"
NOTIFY_KEY = "commons.notify_on_commit"
CACHES_KEY = "commons.caches"
TTL_KEY = "commons.version_ttl"
# A session that must see every commit at once skips the memo: see `read_fresh`.
FRESH_KEY = "commons.fresh_versions"
GLOBAL = 0
# Bookkeeping no public page shows: writing these never invalidates a public page.
PRIVATE_TABLES = frozenset(
    {
        "public_versions",
        "users",
        "api_tokens",
        "user_sessions",
        "audit_log",
        "outbox",
        "password_resets",
        "jobs",
        "idempotency_keys",
        "import_jobs",
        "volunteer_profiles",
        "volunteer_certificates",
        "sms_messages",
        "matching_runs",
        "match_unmet",
    }
)

# Each transaction bumps one of SHARDS rows per incident, chosen at random, so concurrent
# writers to one incident (a sign-up storm) rarely wait for each other's commit; a reader
# sums the shards, and every commit raises that sum. A storm keeps a few dozen transactions
# in flight at once (each worker's pool): at 8 shards their bumps queued for one another
# while holding their shifts' row locks (the bump's statement took 0.5 s at worst).
SHARDS = 64
_BUMP = text(
    "INSERT INTO public_versions (incident_id, shard, version) VALUES (:id, :shard, 1) "
    "ON CONFLICT (incident_id, shard) DO UPDATE SET version = public_versions.version + 1"
)
# The bump and the transaction's NOTIFYs in one statement: each round trip between a sign-up's
# place and its COMMIT is time its shift's row stays locked. A data-modifying CTE runs whether
# or not the query reads it.
_NOTIFY_SQL = (
    "SELECT pg_notify(n.channel, n.payload) FROM unnest("
    "CAST(:channels AS text[]), CAST(:payloads AS text[])) AS n(channel, payload)"
)
_NOTIFY = text(_NOTIFY_SQL)
_BUMP_AND_NOTIFY = (
    "WITH bump AS (INSERT INTO public_versions (incident_id, shard, version) VALUES {rows} "
    "ON CONFLICT (incident_id, shard) DO UPDATE SET version = public_versions.version + 1) "
    + _NOTIFY_SQL
)
# The bump as a CTE of a caller's own statement (PostgreSQL, see `bump_in_statement`).
BUMP_CTE = (
    "bump AS (INSERT INTO public_versions (incident_id, shard, version) "
    "VALUES (CAST(:bump_incident AS integer), CAST(:bump_shard AS integer), 1) "
    "ON CONFLICT (incident_id, shard) DO UPDATE SET version = public_versions.version + 1)"
)


def bump_in_statement(session: AsyncSession | Session, incident_id: int) -> dict:
    """The parameters of `BUMP_CTE`, the incident's version bump as a CTE of the caller's own
    statement on PostgreSQL; the commit then bumps no more for that incident. For the last
    statement of a transaction that holds a row lock (a sign-up's): one round trip less
    before COMMIT. Should the statement fail, the transaction rolls back anyway."""
    session.info.setdefault(PREBUMPED_KEY, set()).add(incident_id)
    return {"bump_incident": incident_id, "bump_shard": random.randrange(SHARDS)}


# Every version at once, for a platform-wide figure: any write anywhere changes it.
ALL_VERSIONS = text("SELECT count(*), coalesce(sum(version), 0) FROM public_versions")
_READ = text(
    "SELECT incident_id, sum(version) FROM public_versions WHERE incident_id IN (0, :id) "
    "GROUP BY incident_id"
)


def answers_live_update(headers) -> bool:
    """Whether a request follows a live-update event: htmx's refetch after the stream's
    `figures` event (it sends HX-Request). `headers` is Starlette's Headers or a plain dict."""
    return "hx-request" in headers


def read_fresh(session: AsyncSession | Session) -> None:
    """The one rule for reading past this process's memo of the versions: a read that answers
    a live-update event (the event stream's own figures, and htmx's refetch that follows one,
    see `answers_live_update`) was woken by a commit, perhaps another worker's, which the memo
    may not have seen yet; everything else may trust the memo for `public_version_ttl`."""
    session.info[FRESH_KEY] = True


def touch(session: AsyncSession | Session, incident_id: int | None = None) -> None:
    """Mark the incident's public figures as changed by this transaction (None: all)."""
    touched: set[int] = session.info.setdefault(INFO_KEY, set())
    touched.add(GLOBAL if incident_id is None else incident_id)


def notify_on_commit(session: AsyncSession | Session, channel: str, payload: str) -> None:
    """A PostgreSQL NOTIFY sent as part of this transaction, just before its COMMIT (with the
    version bump, in the same statement); nothing is sent when it rolls back."""
    session.info.setdefault(NOTIFY_KEY, set()).add((channel, payload))


def belongs_to(session: AsyncSession | Session, obj: Any, incident_id: int) -> None:
    """Say which incident a row without an `incident_id` column belongs to (a shift's
    sign-up), so writing it bumps that incident's version rather than every page's."""
    session.info.setdefault(HINTS_KEY, {})[id(obj)] = incident_id


def _incident_of(obj: Any) -> int | None:
    table = getattr(obj, "__tablename__", None)
    if table == "incidents":
        return obj.id
    incident_id = getattr(obj, "incident_id", None)
    return incident_id if isinstance(incident_id, int) else None


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context) -> None:
    hints = session.info.get(HINTS_KEY, {})
    for obj in (*session.new, *session.dirty, *session.deleted):
        table = getattr(obj, "__tablename__", None)
        if table is None or table in PRIVATE_TABLES:
            continue
        hinted = hints.get(id(obj))
        touch(session, hinted if hinted is not None else _incident_of(obj))


@event.listens_for(Session, "do_orm_execute")
def _bulk(state: ORMExecuteState) -> None:
    # insert()/update()/delete() statements bypass the unit of work, so after_flush never
    # sees their rows: the incident is unknown, and every public page is invalidated.
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    # A statement may name its incident: .execution_options(public_incident=incident_id).
    table = getattr(state.statement, "table", None)
    if table is not None and table.name not in PRIVATE_TABLES:
        touch(state.session, state.execution_options.get("public_incident"))


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    # Commit flushes only after this hook: flush first, so after_flush sees every row.
    session.flush()
    touched = session.info.pop(INFO_KEY, None)
    prebumped = session.info.pop(PREBUMPED_KEY, set())
    if touched and prebumped:
        touched = touched - prebumped
    notes = sorted(session.info.pop(NOTIFY_KEY, ()))
    channels, payloads = [c for c, _p in notes], [p for _c, p in notes]
    if touched:
        # Sorted, so two transactions lock the version rows in the same order; last of all
        # the transaction's statements, so they are held only while it commits.
        shard = random.randrange(SHARDS)
        ids = sorted(touched)
        if session.get_bind().dialect.name == "postgresql":
            rows = ", ".join(f"(:id{i}, :shard, 1)" for i in range(len(ids)))
            params = {f"id{i}": incident_id for i, incident_id in enumerate(ids)}
            session.execute(
                text(_BUMP_AND_NOTIFY.format(rows=rows)),
                {**params, "shard": shard, "channels": channels, "payloads": payloads},
            )
        else:
            for incident_id in ids:
                session.execute(_BUMP, {"id": incident_id, "shard": shard})
        session.info.pop(INFO_KEY, None)
        session.info[BUMPED_KEY] = touched | prebumped
        return
    if prebumped:
        session.info[BUMPED_KEY] = prebumped
    if notes:
        session.execute(_NOTIFY, {"channels": channels, "payloads": payloads})


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    session.info.pop(HINTS_KEY, None)
    bumped = session.info.pop(BUMPED_KEY, None)
    memo = _memo(session)
    if bumped and memo is not None:
        memo.forget(bumped)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(INFO_KEY, None)
    session.info.pop(NOTIFY_KEY, None)
    session.info.pop(BUMPED_KEY, None)
    session.info.pop(PREBUMPED_KEY, None)
    session.info.pop(HINTS_KEY, None)


class VersionMemo:
    """The versions this process read lately, each kept `ttl` seconds (monotonic clock).

    `forget` bumps a generation, and a read stores what it found only when no commit of this
    process forgot anything meanwhile: an older answer can never outlive a newer write."""

    ALL = "all"

    def __init__(self, ttl: float):
        self.ttl = ttl
        self.generation = 0
        self.found: dict = {}
        # Reads under way, so that when an entry lapses under load one request reads it
        # while the others wait, instead of every request in flight reading it at once.
        self.reading: dict = {}

    def get(self, key):
        hit = self.found.get(key)
        if hit is not None and time.monotonic() < hit[0]:
            return hit[1]
        return None

    def renewing(self, key):
        """The versions under `key` that lapsed less than `ttl` ago while they are being read
        again: what the shared front may answer with meanwhile (stale while revalidating).
        Under load the read waits for a pooled connection behind the pages being built, and
        every repeat falling through to the database at that instant is what made the tail."""
        hit = self.found.get(key)
        if hit is not None and key in self.reading and time.monotonic() < hit[0] + self.ttl:
            return hit[1]
        return None

    def put(self, key, value, generation: int) -> None:
        if self.ttl > 0 and generation == self.generation:
            self.found[key] = (time.monotonic() + self.ttl, value)

    def start_refresh(self, key) -> asyncio.Event | None:
        """A claim to read `key` again, when it is in the last quarter of its life and nobody
        reads it: a busy page's versions are then renewed before they lapse, instead of every
        request in flight falling through to the database at the same instant. The claimant
        reads (`refresh`) and then calls `done_reading`."""
        hit = self.found.get(key)
        if hit is None or key in self.reading or hit[0] - time.monotonic() > self.ttl / 4:
            return None
        claim = self.reading[key] = asyncio.Event()
        return claim

    def done_reading(self, key, claim: asyncio.Event) -> None:
        if self.reading.get(key) is claim:
            del self.reading[key]
        claim.set()

    def forget(self, incident_ids) -> None:
        self.generation += 1
        if GLOBAL in incident_ids:
            self.found.clear()
            return
        self.found.pop(self.ALL, None)
        for incident_id in incident_ids:
            self.found.pop(incident_id, None)


def _memo(session: AsyncSession | Session) -> VersionMemo | None:
    caches = session.info.get(CACHES_KEY)
    if caches is None or session.info.get(FRESH_KEY):
        return None
    memo = caches.get("versions")
    if memo is None:
        memo = caches["versions"] = VersionMemo(float(session.info.get(TTL_KEY, 0.0)))
    return memo


def _reader(session: AsyncSession, key) -> Callable[[], Awaitable[tuple[int, int]]]:
    if key == VersionMemo.ALL:

        async def read_all() -> tuple[int, int]:
            count, total = (await session.execute(ALL_VERSIONS)).one()
            return int(count), int(total)

        return read_all

    async def read() -> tuple[int, int]:
        found = dict((await session.execute(_READ, {"id": key})).all())
        return int(found.get(GLOBAL, 0)), int(found.get(key, 0))

    return read


async def _remembered(session: AsyncSession, key) -> tuple[int, int]:
    """The versions under `key` from the memo, else read, which requests waiting for the same
    key share: they take its answer when the memo kept it (no commit of this process came
    between), else read for themselves."""
    memo = _memo(session)
    if memo is None:
        return await _reader(session, key)()
    hit = memo.get(key)
    if hit is not None:
        return hit
    reading = memo.reading.get(key)
    if reading is not None and session.in_transaction():
        # This request holds a pooled connection already (a page that reads without a
        # transaction takes one first). The read it would wait for may be a renewal in the
        # background that waits for a connection itself: with every connection held by such
        # waiters, nobody moves until the pool's timeout. Read for itself instead.
        generation = memo.generation
        result = await _reader(session, key)()
        memo.put(key, result, generation)
        return result
    if reading is not None:
        await reading.wait()
        hit = memo.get(key)
        if hit is not None:
            return hit
    return await _read_into(memo, session, key)


async def _read_into(memo: VersionMemo, session: AsyncSession, key) -> tuple[int, int]:
    generation = memo.generation
    done = memo.reading.setdefault(key, asyncio.Event())
    try:
        result = await _reader(session, key)()
        memo.put(key, result, generation)
        return result
    finally:
        memo.done_reading(key, done)


async def refresh(session: AsyncSession, key) -> None:
    """Read the versions under `key` (an incident id, or VersionMemo.ALL) again into the memo
    before they lapse (see `VersionMemo.start_refresh`)."""
    memo = _memo(session)
    if memo is not None:
        await _read_into(memo, session, key)


async def versions(session: AsyncSession, incident_id: int) -> tuple[int, int]:
    """(global version, incident version): a cache key part that every write changes."""
    return await _remembered(session, incident_id)


async def all_versions(session: AsyncSession) -> tuple[int, int]:
    """A key part for platform-wide figures: any write anywhere changes it."""
    return await _remembered(session, VersionMemo.ALL)


async def all_versions_on(
    read: Callable[[], Awaitable[Any]], caches: dict, ttl: float
) -> tuple[int, int]:
    """`all_versions` for a reader on a pooled connection of its own, with no session (the
    signed-out lane, core/pages.py): the memo's, else `read()` of ALL_VERSIONS' one row on
    that connection. It holds the connection already, so it reads for itself rather than
    wait for another reader (see `_remembered`)."""
    memo = caches.get("versions")
    if memo is None:
        memo = caches["versions"] = VersionMemo(float(ttl))
    hit = memo.get(VersionMemo.ALL)
    if hit is not None:
        return hit
    generation = memo.generation
    count, total = await read()
    result = (int(count), int(total))
    memo.put(VersionMemo.ALL, result, generation)
    return result


async def key_versions(session: AsyncSession, incident_id: int | None) -> tuple[int, int]:
    """The versions a page about one incident (None: any incident) is cached under."""
    if incident_id is None:
        return await all_versions(session)
    return await versions(session, incident_id)


# Each per-process cache holds at most this many bytes of renderings, and so does the front
# (gzipped, about 1,500 pages): with 100,000 needs a count bound alone lets big pages add up
# to a worker's memory (issue 11: ≤ 120 MB a worker).
CACHE_BYTES = 4 * 1024 * 1024
FRONT_BYTES = CACHE_BYTES


def weight(value: Any, depth: int = 0) -> int:
    """The bytes a cached value holds, roughly: its strings and bytes (each kept once), through
    the tuples, lists and dicts around them; other objects by their own size."""
    if isinstance(value, bytes | str):
        return len(value) + 40
    if isinstance(value, tuple | list) and depth < 4:
        return 56 + 8 * len(value) + sum(weight(item, depth + 1) for item in value)
    if isinstance(value, dict) and depth < 4:
        return 64 + sum(weight(k, depth + 1) + weight(v, depth + 1) for k, v in value.items())
    return sys.getsizeof(value)


class LRU:
    """A bounded per-process mapping; values are immutable renderings keyed by version.

    Bounded by entries and by bytes (`weight` of key and value): the least recently used go
    first, and a value larger than the whole budget is not kept."""

    def __init__(self, size: int = 256, max_bytes: int = CACHE_BYTES):
        self.size = size
        self.max_bytes = max_bytes
        self.bytes = 0
        self.data: OrderedDict = OrderedDict()
        self._weights: dict = {}

    def get(self, key):
        value = self.data.get(key)
        if value is not None:
            self.data.move_to_end(key)
        return value

    def put(self, key, value, cost: int | None = None) -> None:
        """Keep `value` under `key`; `cost` is its bytes when the caller knows them better
        than `weight` (which counts each shared object once an entry)."""
        self._drop(key)
        if cost is None:
            cost = weight(key) + weight(value)
        if cost > self.max_bytes or self.size <= 0:
            return
        self.data[key] = value
        self._weights[key] = cost
        self.bytes += cost
        while len(self.data) > self.size or self.bytes > self.max_bytes:
            self._drop(next(iter(self.data)))

    def _drop(self, key) -> None:
        if key in self.data:
            del self.data[key]
            self.bytes -= self._weights.pop(key)

    def clear(self) -> None:
        self.data.clear()
        self._weights.clear()
        self.bytes = 0


def local(session: AsyncSession, name: str, size: int = 256) -> LRU:
    """This process's cache `name` for the session's database (core.db.Database puts one
    dict of caches in every session's info), so two apps never share an entry."""
    caches = session.info.get(CACHES_KEY)
    if caches is None:
        return LRU(0)
    return local_of(caches, name, size)


def local_of(caches: dict, name: str, size: int = 256, max_bytes: int = CACHE_BYTES) -> LRU:
    """Cache `name` of one database's dict of caches (core.db.Database.caches)."""
    found = caches.get(name)
    if found is None:
        found = caches[name] = LRU(size, max_bytes)
    return found


def in_flight(session: AsyncSession) -> dict:
    """Keys being built right now in this process, each with the event that says it is done:
    a page many visitors ask for at once is built once (core.pages.shared_page)."""
    caches = session.info.get(CACHES_KEY)
    if caches is None:
        return {}
    return in_flight_of(caches)


def in_flight_of(caches: dict) -> dict:
    """`in_flight` of one database's dict of caches."""
    return caches.setdefault("in_flight", {})
