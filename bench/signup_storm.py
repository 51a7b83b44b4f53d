"""Sign-up storm: 500 concurrent sign-ups for 20 shifts of 10 against a real uvicorn server.

Usage: python bench/signup_storm.py [--database-url URL] [--requests N] [--shifts N]
                                    [--capacity N] [--workers N] [--warm-up N]

The server is `commons serve --workers N` (1 by default). Before the measured storm, an
unmeasured one of `--warm-up` sign-ups on a shift of its own connects the workers' pools and
compiles their statements, as bench/load.py does: a surge meets workers that have served.

SQLite (a temporary file) by default. With a PostgreSQL URL, a throwaway database named
after the URL's database plus a suffix is created on that server and dropped afterwards.
Prints confirmed, waitlisted, errors, p50/p99 latency, sign-ups per second and the web
workers' CPU time per sign-up (from /proc); on PostgreSQL also the backends' CPU per sign-up
and what its busy sessions were doing (sampled waits: row locks, WAL flushes, the NOTIFY
commit lock, the web worker's turn), then checks in the database that no
shift is overbooked, nobody is signed up twice and each waitlist is numbered in arrival
order. Exits non-zero when any check fails.
"""

import argparse
import asyncio
import json
import os
import socket
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.auth import new_token  # noqa: E402
from core.clock import utcnow  # noqa: E402
from core.db import Database  # noqa: E402
from core.migrate import upgrade  # noqa: E402
from core.models import ApiToken, Organization, OrgStatus, Role, User  # noqa: E402
from core.settings import Settings  # noqa: E402
from recovery.models import Incident  # noqa: E402
from volunteers.models import Shift, Signup, VolunteerProfile  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def pg_database(url: str, create: bool) -> str:
    """Create (or drop) the throwaway PostgreSQL database; returns its URL."""
    parsed = make_url(url)
    name = f"{parsed.database or 'commons'}_storm_{os.getpid()}"
    admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(False)
    conn = await asyncpg.connect(admin)
    try:
        if create:
            await conn.execute(f'CREATE DATABASE "{name}"')
        else:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
    return parsed.set(database=name).render_as_string(False)


async def seed(settings: Settings, *, volunteers: int, shifts: int, capacity: int):
    """An organizer, an incident, the shifts and the volunteers with bearer tokens."""
    database = Database(settings)
    tokens: list[str] = []
    shift_ids: list[int] = []
    async with database.transaction() as session:
        org = Organization(name="Storm Relief", kind="ngo", status=OrgStatus.verified)
        session.add(org)
        await session.flush()
        owner = User(
            email="owner@storm.test",
            name="Owner",
            password_hash="!",
            role=Role.ngo,
            organization_id=org.id,
        )
        incident = Incident(name="Storm", started_on=date.today())
        session.add_all([owner, incident])
        await session.flush()
        start = utcnow().replace(microsecond=0) + timedelta(days=2)
        for i in range(shifts):
            shift = Shift(
                incident_id=incident.id,
                organization_id=org.id,
                created_by_id=owner.id,
                title=f"Storm shift {i + 1}",
                starts_at=start + timedelta(days=i),
                ends_at=start + timedelta(days=i, hours=4),
                lat=30.0,
                lon=114.0,
                capacity=capacity,
            )
            session.add(shift)
            await session.flush()
            shift_ids.append(shift.id)
        for i in range(volunteers):
            user = User(
                email=f"v{i}@storm.test", name=f"Volunteer {i}", password_hash="!", role="volunteer"
            )
            session.add(user)
            await session.flush()
            # As registration does: every volunteer has a profile.
            session.add(VolunteerProfile(user_id=user.id))
            token, token_hash = new_token()
            session.add(ApiToken(user_id=user.id, token_hash=token_hash))
            tokens.append(token)
    await database.dispose()
    return shift_ids, tokens


async def storm(base: str, shift_ids: list[int], tokens: list[str]):
    """Every sign-up at once, each on a connection opened beforehand.

    Plain HTTP/1.1 over asyncio streams rather than an HTTP client library: the load
    generator shares the machine with the server, and a client that spends a millisecond of
    CPU per request would be measured as the server's slowness."""
    url = httpx.URL(base)
    host, port = url.host, url.port or 80
    start_line = asyncio.Event()

    async def one(i: int, token: str):
        shift_id = shift_ids[i % len(shift_ids)]
        request = (
            f"POST /api/v1/shifts/{shift_id}/signup HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Length: 0\r\n"
            "Connection: close\r\n\r\n"
        ).encode()
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError as exc:
            return type(exc).__name__, 0.0
        await start_line.wait()
        began = time.perf_counter()
        try:
            writer.write(request)
            answer = await reader.read()
            elapsed = time.perf_counter() - began
        except OSError as exc:
            return type(exc).__name__, time.perf_counter() - began
        finally:
            writer.close()
        head, _, body = answer.partition(b"\r\n\r\n")
        code = head.split(b" ", 2)[1].decode() if head.startswith(b"HTTP/") else "?"
        if code != "200":
            return f"HTTP {code}", elapsed
        if b"transfer-encoding: chunked" in head.lower():
            body = _unchunk(body)
        return json.loads(body).get("status"), elapsed

    tasks = [asyncio.create_task(one(i, t)) for i, t in enumerate(tokens)]
    # Let every connection open before the start.
    await asyncio.sleep(1.0)
    wall = time.perf_counter()
    start_line.set()
    results = await asyncio.gather(*tasks)
    return results, time.perf_counter() - wall


class Sampler:
    """What the storm's database sessions are doing, sampled from pg_stat_activity every few
    milliseconds: the waits that serialize sign-ups (a row lock, the commit's WAL flush, the
    lock PostgreSQL takes to commit a NOTIFY) next to running and waiting for the client.
    Also the backends' CPU time (from /proc, when the server runs on this machine)."""

    def __init__(self, url: str):
        parsed = make_url(url)
        self.database = parsed.database
        self.dsn = parsed.set(drivername="postgresql").render_as_string(False)
        self.counts: dict[str, int] = {}
        self.samples = 0
        self.pids: set[int] = set()

    async def __aenter__(self):
        self.conn = await asyncpg.connect(self.dsn)
        self.pids = await self._pids()
        self.cpu_before = sum(cpu_seconds(pid) for pid in self.pids)
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(self._run())
        return self

    async def _pids(self) -> set[int]:
        rows = await self.conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            self.database,
        )
        return {row["pid"] for row in rows}

    async def _run(self):
        query = (
            "SELECT state, wait_event_type, wait_event FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
        while not self.stop.is_set():
            for row in await self.conn.fetch(query, self.database):
                if row["state"] == "idle":
                    continue
                what = (
                    f"{row['wait_event_type']}:{row['wait_event']}"
                    if row["wait_event_type"]
                    else "running"
                )
                if row["state"] == "idle in transaction":
                    what = "idle in transaction (the web worker's turn)"
                self.counts[what] = self.counts.get(what, 0) + 1
            self.samples += 1
            await asyncio.sleep(0.005)

    async def __aexit__(self, *exc):
        self.stop.set()
        await self.task
        self.pids |= await self._pids()
        self.cpu = sum(cpu_seconds(pid) for pid in self.pids) - self.cpu_before
        await self.conn.close()

    def report(self) -> list[str]:
        total = sum(self.counts.values()) or 1
        top = sorted(self.counts.items(), key=lambda item: -item[1])[:6]
        return [f"{what} {count * 100 / total:.0f} %" for what, count in top]


def worker_cpu(pid: int) -> dict[int, float]:
    """CPU seconds of each worker process `commons serve` forked (none with one worker)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return {}
    return {int(child): cpu_seconds(int(child)) for child in children}


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its live children, from /proc (Linux)."""
    total, pending = 0.0, [pid]
    tick = os.sysconf("SC_CLK_TCK")
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
        pending.extend(int(child) for child in children)
    return total


def _unchunk(data: bytes) -> bytes:
    out = bytearray()
    while data:
        size, _, rest = data.partition(b"\r\n")
        length = int(size.split(b";")[0], 16)
        if length == 0:
            break
        out += rest[:length]
        data = rest[length + 2 :]
    return bytes(out)


async def verify(settings: Settings, shift_ids: list[int], capacity: int) -> list[str]:
    """Database checks: the truth, whatever the HTTP answers said."""
    problems = []
    database = Database(settings)
    async with database.session(write=False) as session:
        for shift_id in shift_ids:
            shift = await session.get(Shift, shift_id)
            rows = (
                await session.scalars(
                    select(Signup).where(Signup.shift_id == shift_id).order_by(Signup.created_at)
                )
            ).all()
            confirmed = [r for r in rows if r.status == "confirmed"]
            waiting = [r for r in rows if r.status == "waitlisted"]
            if shift.filled != len(confirmed) or shift.filled > capacity:
                problems.append(f"shift {shift_id}: filled {shift.filled}, {len(confirmed)} rows")
            if len(waiting) and len(confirmed) < capacity:
                problems.append(f"shift {shift_id}: waitlist while places are free")
            if [r.waitlist_position for r in waiting] != list(range(1, len(waiting) + 1)):
                problems.append(f"shift {shift_id}: waitlist not numbered in arrival order")
            if confirmed and waiting and confirmed[-1].created_at > waiting[0].created_at:
                problems.append(f"shift {shift_id}: a later arrival took a place")
        duplicates = await session.scalar(
            select(func.count()).select_from(
                select(Signup.shift_id, Signup.volunteer_id)
                .group_by(Signup.shift_id, Signup.volunteer_id)
                .having(func.count() > 1)
                .subquery()
            )
        )
        if duplicates:
            problems.append(f"{duplicates} duplicate sign-ups")
    await database.dispose()
    return problems


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else 0


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--shifts", type=int, default=20)
    parser.add_argument("--capacity", type=int, default=10)
    parser.add_argument("--workers", type=int, default=1, help="web worker processes")
    parser.add_argument("--warm-up", type=int, default=40, help="unmeasured sign-ups first")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="signup-storm-"))
    pg = args.database_url is not None and args.database_url.startswith("postgresql")
    if pg:
        url = await pg_database(args.database_url, create=True)
    else:
        url = args.database_url or f"sqlite+aiosqlite:///{tmp / 'storm.db'}"
    server = None
    try:
        await asyncio.to_thread(upgrade, url)
        settings = Settings(database_url=url, mail_dir=tmp / "mail")
        warm = 1 if args.warm_up else 0
        all_shifts, all_tokens = await seed(
            settings,
            volunteers=args.requests + args.warm_up,
            shifts=args.shifts + warm,
            capacity=args.capacity,
        )
        shift_ids, tokens = all_shifts[: args.shifts], all_tokens[: args.requests]
        port = free_port()
        env = {**os.environ, "DATABASE_URL": url, "COMMONS_MAIL_DIR": str(tmp / "mail")}
        server = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "core.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
            cwd=ROOT,
            env=env,
            # Its log lines (one a request) would bury the figures.
            stdout=(tmp / "server.log").open("wb"),
            stderr=asyncio.subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base) as probe:
            # Up to a minute: start-up is slow on a machine busy with other work.
            for _ in range(600):
                try:
                    if (await probe.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            else:
                print("the server did not start", file=sys.stderr)
                return 2
        if warm:
            await storm(base, all_shifts[args.shifts :], all_tokens[args.requests :])
        cpu_before, split_before = cpu_seconds(server.pid), worker_cpu(server.pid)
        if pg:
            async with Sampler(url) as sampler:
                results, wall = await storm(base, shift_ids, tokens)
        else:
            results, wall = await storm(base, shift_ids, tokens)
        cpu = cpu_seconds(server.pid) - cpu_before
        split = {pid: t - split_before.get(pid, 0.0) for pid, t in worker_cpu(server.pid).items()}
        problems = await verify(settings, shift_ids, args.capacity)
    finally:
        if server is not None:
            server.terminate()
            await asyncio.wait_for(server.wait(), timeout=20)
        if pg:
            await pg_database(args.database_url, create=False)

    statuses = [s for s, _t in results]
    latencies = sorted(t * 1000 for _s, t in results)
    confirmed = statuses.count("confirmed")
    waitlisted = statuses.count("waitlisted")
    errors = len(statuses) - confirmed - waitlisted
    expected = min(args.requests, args.shifts * args.capacity)
    print(f"database:   {'postgresql' if pg else 'sqlite'}, {args.workers} worker(s)")
    print(f"requests:   {len(results)} for {args.shifts} shifts of {args.capacity} in {wall:.2f} s")
    print(f"confirmed:  {confirmed} (expected {expected})")
    print(f"waitlisted: {waitlisted} (expected {args.requests - expected})")
    print(
        f"errors:     {errors}"
        + (f" {sorted(set(statuses) - {'confirmed', 'waitlisted'})}" if errors else "")
    )
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    print(f"latency:    p50 {p50:.0f} ms, p99 {p99:.0f} ms")
    print(f"rate:       {len(results) / wall:.0f} sign-ups/s")
    print(f"web CPU:    {cpu * 1000 / max(len(results), 1):.1f} ms per sign-up (all workers)")
    if len(split) > 1:
        shares = [f"{t * 100 / (sum(split.values()) or 1):.0f} %" for t in split.values()]
        print(f"workers:    CPU split {' / '.join(shares)}")
    if pg:
        db_ms = sampler.cpu * 1000 / max(len(results), 1)
        print(f"db CPU:     {db_ms:.1f} ms per sign-up (the server's backends)")
        print("db busy:    " + ", ".join(sampler.report()))
    if confirmed != expected:
        problems.append(f"confirmed {confirmed} != {expected}")
    if errors:
        problems.append(f"{errors} requests failed")
    print(
        "checks:     "
        + (
            "ok: no overbooking, no duplicates, waitlists in arrival order"
            if not problems
            else "FAILED"
        )
    )
    for problem in problems:
        print(f"  - {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
