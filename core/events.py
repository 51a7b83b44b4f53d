"""Live updates: an incident's change is published once its transaction commits and fanned out
to the open event streams of every web worker (PostgreSQL LISTEN/NOTIFY, in-process on SQLite)."""

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sse_starlette import EventSourceResponse
from starlette.types import Receive, Scope, Send

from core.cache import notify_on_commit
from core.live import Renderings
from core.settings import Settings

CHANNEL = "commons_events"
HUB_KEY = "commons.events.hub"
PENDING_KEY = "commons.events.pending"
ANNOUNCE_KEY = "commons.events.announce"
# What an incident-wide subscriber (every incident) listens under.
ALL_INCIDENTS = 0
log = logging.getLogger("commons")
_NOTIFY_ALL = (
    "SELECT pg_notify(n.channel, n.payload) "
    "FROM unnest(CAST($1 AS text[]), CAST($2 AS text[])) AS n(channel, payload)"
)


def publish(session: AsyncSession, incident_id: int, kind: str) -> None:
    """Say that an incident's figures changed (`kind`: "need", "signup", "donation", "task" …).

    Nothing is sent before the transaction commits, and nothing at all when it rolls back: on
    PostgreSQL the NOTIFY follows the commit (`announce_after_commit`); on SQLite delivery
    follows the commit, in process."""
    sync = session.sync_session
    if _is_postgres(sync):
        announce_after_commit(sync, CHANNEL, f"{int(incident_id)}:{kind}")
        return
    pending = sync.info.get(PENDING_KEY)
    if pending is None:
        pending = sync.info[PENDING_KEY] = set()
        event.listen(sync, "after_commit", _deliver_in_process)
        event.listen(sync, "after_rollback", _forget)
    pending.add((int(incident_id), str(kind)))


def announce_after_commit(session: AsyncSession | Session, channel: str, payload: str) -> None:
    """A PostgreSQL NOTIFY once this transaction has committed, sent by the database's hub
    (`EventHub.announce`); nothing when it rolls back. Not a NOTIFY inside the transaction:
    PostgreSQL commits the transactions that notify one at a time, fsync included, so a NOTIFY
    in every sign-up made a storm of them queue for each other's commit, whatever the number
    of workers. A session of no Database (no hub) notifies inside its transaction."""
    sync = session.sync_session if isinstance(session, AsyncSession) else session
    if sync.info.get(HUB_KEY) is None:
        notify_on_commit(sync, channel, payload)
        return
    sync.info.setdefault(ANNOUNCE_KEY, set()).add((channel, payload))


# Listeners of every session (one per session cost a sign-up more than the NOTIFY).
@event.listens_for(Session, "after_commit")
def _announce(sync: Session) -> None:
    pending = sync.info.pop(ANNOUNCE_KEY, None)
    if pending:
        sync.info[HUB_KEY].announce(pending)


@event.listens_for(Session, "after_rollback")
def _forget_announcements(sync: Session) -> None:
    sync.info.pop(ANNOUNCE_KEY, None)


def _is_postgres(sync: Session) -> bool:
    bind = sync.get_bind()
    return bind.dialect.name == "postgresql"


def _deliver_in_process(sync: Session) -> None:
    pending = sync.info.get(PENDING_KEY)
    if not pending:
        return
    sync.info[PENDING_KEY] = set()
    hub: EventHub | None = sync.info.get(HUB_KEY)
    if hub is None:
        return
    for incident_id, kind in sorted(pending):
        hub.deliver(incident_id, kind)


def _forget(sync: Session) -> None:
    sync.info[PENDING_KEY] = set()


class LiveFull(Exception):
    """This worker already holds its allowed number of event streams."""


class Subscription:
    """One open event stream: woken when its incident changes, or told the feed was lost."""

    def __init__(self, incident_id: int):
        self.incident_id = incident_id
        self.kinds: set[str] = set()
        self.lost = False
        self._changed = asyncio.Event()
        self._loop = asyncio.get_running_loop()

    def _wake(self, kind: str | None) -> None:
        if kind is None:
            self.lost = True
        else:
            self.kinds.add(kind)
        self._changed.set()

    def wake(self, kind: str | None) -> None:
        self._loop.call_soon_threadsafe(self._wake, kind)

    async def wait(self) -> set[str]:
        """The kinds of change since the last wait."""
        await self._changed.wait()
        return self.take()

    def take(self) -> set[str]:
        """The kinds of change since the last wait or take, without waiting."""
        self._changed.clear()
        kinds, self.kinds = self.kinds, set()
        return kinds


class EventHub:
    """A worker's open event streams by incident; on PostgreSQL, fed by one dedicated LISTEN
    connection that opens with the first stream."""

    def __init__(self, settings: Settings):
        self.max_streams = settings.live_max_connections
        url = make_url(settings.listen_database_url or settings.database_url)
        self.postgres = url.get_backend_name() == "postgresql"
        self._dsn = url.set(drivername="postgresql").render_as_string(False)
        if self.postgres and settings.pgbouncer and not settings.listen_database_url:
            log.warning(
                "COMMONS_PGBOUNCER is on without COMMONS_LISTEN_DATABASE_URL: PgBouncer in "
                "transaction mode cannot hold LISTEN, so live updates need a direct URL"
            )
        self._streams: dict[int, set[Subscription]] = {}
        # What this worker's streams show after a change, rendered once for all of them.
        self.renderings = Renderings()
        self._count = 0
        self._listener: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()
        # Committed changes still to be told to every worker, and the one task telling them.
        self._outgoing: set[tuple[int, str]] = set()
        self._sender: asyncio.Task | None = None
        self._notifier: asyncpg.Connection | None = None

    @property
    def open_streams(self) -> int:
        return self._count

    async def subscribe(self, incident_id: int) -> Subscription:
        """A new stream, or LiveFull when this worker holds its allowed number already."""
        if self._count >= self.max_streams:
            raise LiveFull
        subscription = Subscription(incident_id)
        self._count += 1
        self._streams.setdefault(incident_id, set()).add(subscription)
        try:
            if self.postgres:
                await self._listen()
        except BaseException:
            self.unsubscribe(subscription)
            raise
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        streams = self._streams.get(subscription.incident_id)
        if streams is not None and subscription in streams:
            streams.discard(subscription)
            self._count -= 1
            if not streams:
                del self._streams[subscription.incident_id]

    def deliver(self, incident_id: int, kind: str) -> None:
        """Wake every stream of this incident (and those following every incident)."""
        for key in {incident_id, ALL_INCIDENTS}:
            for subscription in list(self._streams.get(key, ())):
                subscription.wake(kind)

    async def _listen(self) -> None:
        async with self._lock:
            if self._listener is not None and not self._listener.is_closed():
                return
            connection = await asyncpg.connect(self._dsn)
            await connection.add_listener(CHANNEL, self._on_notify)
            connection.add_termination_listener(self._on_lost)
            self._listener = connection

    def _on_notify(self, _connection, _pid, _channel, payload: str) -> None:
        incident, _, kind = payload.partition(":")
        try:
            self.deliver(int(incident), kind or "change")
        except ValueError:
            log.warning("ignoring malformed live-update notification %r", payload)

    def _on_lost(self, _connection) -> None:
        # Notifications sent while no one listens are gone: end every stream, so each client
        # reconnects (EventSource does so by itself) and first gets the current figures.
        log.warning("the live-update LISTEN connection was lost")
        self._listener = None
        for streams in list(self._streams.values()):
            for subscription in list(streams):
                subscription.wake(None)

    def announce(self, notes: set[tuple[str, str]]) -> None:
        """Send committed (channel, payload) NOTIFYs to every worker: one task per process
        sends them on a connection of its own, and what commits while it sends goes in its
        next statement, so a burst of commits costs a few NOTIFYs and no request waits."""
        self._outgoing |= notes
        if self._sender is None or self._sender.done():
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # a commit outside any event loop: nobody listens here
                log.warning("notifications not sent (no event loop): %s", sorted(notes))
                self._outgoing.clear()
                return
            self._sender = loop.create_task(self._send())

    async def _send(self) -> None:
        while self._outgoing:
            notes, self._outgoing = sorted(self._outgoing), set()
            channels, payloads = [c for c, _p in notes], [p for _c, p in notes]
            for attempt in (1, 2):
                try:
                    if self._notifier is None or self._notifier.is_closed():
                        # No named prepared statements: the URL may be PgBouncer's.
                        self._notifier = await asyncpg.connect(self._dsn, statement_cache_size=0)
                    await self._notifier.execute(_NOTIFY_ALL, channels, payloads)
                    break
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                    self._drop_notifier()
                    if attempt == 2:
                        log.warning("notifications not sent (%s): %s", error, notes)

    def _drop_notifier(self) -> None:
        notifier, self._notifier = self._notifier, None
        if notifier is not None and not notifier.is_closed():
            notifier.terminate()

    async def close(self) -> None:
        sender, self._sender = self._sender, None
        if sender is not None and not sender.done():
            # What committed before the end is still told.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(sender, timeout=5)
        notifier, self._notifier = self._notifier, None
        if notifier is not None and not notifier.is_closed():
            await notifier.close()
        listener, self._listener = self._listener, None
        if listener is not None and not listener.is_closed():
            await listener.close()


@dataclass(frozen=True)
class Snapshot:
    """What a stream shows at one moment: the figures, and for a page's stream the page's live
    sections (core/live.py) with the tag naming what they show."""

    figures: dict[str, Any]
    tag: str | None = None
    sections: str | None = None


Read = Callable[[], Awaitable[Snapshot]]


async def figure_events(
    hub: EventHub,
    subscription: Subscription,
    read: Read,
    *,
    shown: str | None = None,
    interval: float = 0.2,
):
    """The stream's events: the current figures at once (so a reconnecting client is never
    behind), then `figures` again whenever they change, and `changed` for every change that
    official pages (needs list, supervision board) refresh on even when the figures are equal.
    A page's stream also sends its live `sections` whenever they differ from the ones the
    browser shows (`shown`: the page's tag, or the last one it got)."""

    def sections(now: Snapshot):
        # The id comes back as Last-Event-ID when EventSource reconnects.
        return {"event": "sections", "id": now.tag, "data": now.sections}

    try:
        now = await read()
        yield {"event": "figures", "data": json.dumps(now.figures, sort_keys=True), "retry": 2000}
        if now.sections is not None and now.tag != shown:
            shown = now.tag
            yield sections(now)
        last, sent = now.figures, time.monotonic()
        while True:
            kinds = await subscription.wait()
            if subscription.lost:
                return
            # The first change goes out at once; a burst of writes after it (an import, a
            # matching run) becomes one update per interval.
            pause = interval - (time.monotonic() - sent)
            if pause > 0:
                await asyncio.sleep(pause)
            kinds |= subscription.take()
            yield {"event": "changed", "data": json.dumps({"kinds": sorted(kinds)})}
            now = await read()
            if now.sections is not None and now.tag != shown:
                shown = now.tag
                yield sections(now)
            if now.figures != last:
                last = now.figures
                yield {"event": "figures", "data": json.dumps(now.figures, sort_keys=True)}
            sent = time.monotonic()
    finally:
        hub.unsubscribe(subscription)


class LiveResponse(EventSourceResponse):
    """An incident's event stream; gives its place back to the hub however the stream ends
    (even when the client left before the first event)."""

    def __init__(
        self,
        hub: EventHub,
        subscription: Subscription,
        read: Read,
        *,
        shown: str | None = None,
        ping_seconds: float = 15,
    ):
        super().__init__(
            figure_events(hub, subscription, read, shown=shown),
            ping=ping_seconds,
            headers={"Cache-Control": "no-cache"},
        )
        self.hub = hub
        self.subscription = subscription

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.hub.unsubscribe(self.subscription)
