"""The audit log: who changed what and when, with before/after, in the same transaction."""

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from core.db import records
from core.models import AuditEntry, User

SECRET_FIELDS = {"password_hash", "token_hash"}


def snapshot(obj: SQLModel | dict | None, *, exclude: set[str] | None = None) -> dict | None:
    """A JSON-safe copy of a row's columns, without secrets."""
    if obj is None:
        return None
    data = obj if isinstance(obj, dict) else obj.model_dump()
    skip = SECRET_FIELDS | (exclude or set())
    return {key: _jsonable(value) for key, value in data.items() if key not in skip}


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def changes(before: dict | None, after: dict | None) -> dict[str, tuple[Any, Any]]:
    """The fields that differ, for showing a history line."""
    before, after = before or {}, after or {}
    keys = sorted(set(before) | set(after))
    return {k: (before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)}


async def record(
    session: AsyncSession,
    *,
    actor: User | int | None,
    action: str,
    obj: SQLModel | None = None,
    object_type: str | None = None,
    object_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEntry:
    """Add an audit row; pass `obj` after a flush so its id is known."""
    if obj is not None:
        object_type = object_type or obj.__tablename__
        object_id = object_id if object_id is not None else getattr(obj, "id", None)
    actor_id = actor.id if isinstance(actor, User) else actor
    entry = AuditEntry(
        actor_id=actor_id,
        action=action,
        object_type=object_type or "unknown",
        object_id=object_id,
        before=before,
        after=after,
    )
    session.add(entry)
    await session.flush()
    return entry


# Built once: constructing a statement costs more CPU than running it (public pages read it).
# The table's columns, not the model: a history is only shown (core.db.records).
_ENTRIES, _USERS = AuditEntry.__table__, User.__table__
_HISTORY = (
    select(_ENTRIES, _USERS.c.name)
    .outerjoin(_USERS, _USERS.c.id == _ENTRIES.c.actor_id)
    .where(
        _ENTRIES.c.object_type == bindparam("object_type"),
        _ENTRIES.c.object_id == bindparam("object_id"),
    )
    .order_by(_ENTRIES.c.id.desc())
    .limit(bindparam("limit"))
)


def with_history(statement, object_type: str, object_id, *, limit: int = 100):
    """`statement` (of one object's row) with that object's audit rows and each actor's name
    joined on as its last columns: a row per entry, newest first, at most `limit`; one row of
    NULLs for them when there is none. A page's row and its history in one statement."""
    return (
        statement.add_columns(_ENTRIES, _USERS.c.name)
        .outerjoin(
            _ENTRIES,
            (_ENTRIES.c.object_type == object_type) & (_ENTRIES.c.object_id == object_id),
        )
        .outerjoin(_USERS, _USERS.c.id == _ENTRIES.c.actor_id)
        .order_by(_ENTRIES.c.id.desc())
        .limit(limit)
    )


def history_of(rows) -> list[tuple]:
    """The (entry, actor's name) pairs of the rows of a `with_history` statement."""
    width = len(_ENTRIES.columns) + 1
    found = []
    for row in rows:
        entry = records(row[-width:], _ENTRIES)[0]
        if entry is not None:
            found.append((entry, row[-1]))
    return found


async def history(
    session: AsyncSession, object_type: str, object_id: int, *, limit: int = 100
) -> list[tuple]:
    """An object's audit rows, newest first, as read-only records, each with the actor's
    name."""
    rows = await session.execute(
        _HISTORY, {"object_type": object_type, "object_id": object_id, "limit": limit}
    )
    return [(records(row, _ENTRIES)[0], row[-1]) for row in rows.all()]


async def browse(
    session: AsyncSession,
    *,
    action: str | None = None,
    object_type: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[tuple[AuditEntry, str | None]], int]:
    query = select(AuditEntry, User.name).outerjoin(User, User.id == AuditEntry.actor_id)
    count = select(func.count()).select_from(AuditEntry)
    if action:
        query = query.where(AuditEntry.action.startswith(action))
        count = count.where(AuditEntry.action.startswith(action))
    if object_type:
        query = query.where(AuditEntry.object_type == object_type)
        count = count.where(AuditEntry.object_type == object_type)
    rows = await session.execute(query.order_by(AuditEntry.id.desc()).limit(limit).offset(offset))
    total = (await session.execute(count)).scalar_one()
    return [(entry, name) for entry, name in rows.all()], total
