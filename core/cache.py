"""Versions of the public figures, bumped in the writing transaction, and a small page cache.

Every committed write to a table a public page may show bumps a version in
`public_versions`, inside the same transaction: the incident's row when the changed row names
its incident, else the global row (incident 0) when a bulk statement leaves it unknown. A
reader takes both versions first, then reads the figures; whatever it renders is stored under
those versions, so a page is never served after a later write committed. The bump is issued
just before COMMIT, so the version row is locked only for the commit itself.
"""

from collections import OrderedDict
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session

INFO_KEY = "commons.touched"
CACHES_KEY = "commons.caches"
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

_BUMP = text(
    "INSERT INTO public_versions (incident_id, version) VALUES (:id, 1) "
    "ON CONFLICT (incident_id) DO UPDATE SET version = public_versions.version + 1"
)
# Every version at once, for a platform-wide figure: any write anywhere changes it.
ALL_VERSIONS = text("SELECT count(*), coalesce(sum(version), 0) FROM public_versions")
_READ = text("SELECT incident_id, version FROM public_versions WHERE incident_id IN (0, :id)")


def touch(session: AsyncSession | Session, incident_id: int | None = None) -> None:
    """Mark the incident's public figures as changed by this transaction (None: all)."""
    touched: set[int] = session.info.setdefault(INFO_KEY, set())
    touched.add(GLOBAL if incident_id is None else incident_id)


def _incident_of(obj: Any) -> int | None:
    table = getattr(obj, "__tablename__", None)
    if table == "incidents":
        return obj.id
    incident_id = getattr(obj, "incident_id", None)
    return incident_id if isinstance(incident_id, int) else None


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        table = getattr(obj, "__tablename__", None)
        if table is None or table in PRIVATE_TABLES:
            continue
        touch(session, _incident_of(obj))


@event.listens_for(Session, "do_orm_execute")
def _bulk(state: ORMExecuteState) -> None:
    # insert()/update()/delete() statements bypass the unit of work, so after_flush never
    # sees their rows: the incident is unknown, and every public page is invalidated.
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if table is not None and table.name not in PRIVATE_TABLES:
        touch(state.session, None)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    # Commit flushes only after this hook: flush first, so after_flush sees every row.
    session.flush()
    touched = session.info.pop(INFO_KEY, None)
    if touched:
        # Sorted, so two transactions bumping the same rows lock them in the same order.
        for incident_id in sorted(touched):
            session.execute(_BUMP, {"id": incident_id})
        session.info.pop(INFO_KEY, None)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(INFO_KEY, None)


async def versions(session: AsyncSession, incident_id: int) -> tuple[int, int]:
    """(global version, incident version): a cache key part that every write changes."""
    found = dict((await session.execute(_READ, {"id": incident_id})).all())
    return found.get(GLOBAL, 0), found.get(incident_id, 0)


class LRU:
    """A bounded per-process mapping; values are immutable renderings keyed by version."""

    def __init__(self, size: int = 256):
        self.size = size
        self.data: OrderedDict = OrderedDict()

    def get(self, key):
        value = self.data.get(key)
        if value is not None:
            self.data.move_to_end(key)
        return value

    def put(self, key, value) -> None:
        self.data[key] = value
        self.data.move_to_end(key)
        while len(self.data) > max(self.size, 0):
            self.data.popitem(last=False)

    def clear(self) -> None:
        self.data.clear()


def local(session: AsyncSession, name: str, size: int = 256) -> LRU:
    """This process's cache `name` for the session's database (core.db.Database puts one
    dict of caches in every session's info), so two apps never share an entry."""
    caches = session.info.get(CACHES_KEY)
    if caches is None:
        return LRU(0)
    found = caches.get(name)
    if found is None:
        found = caches[name] = LRU(size)
    return found
