"""A crash test: a real server (uvicorn subprocess) on a file database takes concurrent sign-ups,
shift sign-ups, donations with Idempotency-Key and needs; it is killed with SIGKILL mid-stream
and restarted; every write answered 2xx is there, and nothing is half-written."""

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from core.db import Database
from core.models import OrgKind, Role, User
from core.settings import Settings
from tests.conftest import Factory

pytestmark = pytest.mark.asyncio
ROOT = Path(__file__).resolve().parents[2]
WRITES_BEFORE_KILL = 40


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(env: dict, port: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "core.app:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


async def _wait_ready(base: str) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=2) as client:
        for _ in range(1200):
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    raise AssertionError("the server did not start")


class _Holder:
    """Lets the fixture's objects live on the Factory (it wants an app with state.database)."""

    def __init__(self, database):
        self.state = type("State", (), {"database": database})()


async def test_sigkill_mid_stream_loses_no_acknowledged_write(database_url, tmp_path):
    settings = Settings(database_url=database_url, secret_key="crash-secret-" + "x" * 32)
    database = Database(settings)
    factory = Factory(_Holder(database))
    official = await factory.user(Role.official, org="Office", org_kind=OrgKind.government)
    ngo = await factory.user(Role.ngo, org="Helpers", org_kind=OrgKind.ngo)
    donors = [await factory.user(Role.donor) for _ in range(4)]
    headers = {
        "official": await factory.token(official),
        "ngo": await factory.token(ngo),
        **{f"donor{i}": await factory.token(d) for i, d in enumerate(donors)},
    }
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "COMMONS_SECRET_KEY": settings.secret_key,
        "COMMONS_MAIL_DIR": str(tmp_path / "mail"),
        "COMMONS_UPLOAD_DIR": str(tmp_path / "uploads"),
        "COMMONS_LOGIN_FAILURES_ALLOWED": "1000",
    }
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = _start(env, port)
    acknowledged: dict[str, list] = {
        "register": [], "donation": [], "need": [], "signup": [], "receipt": [],
    }  # fmt: skip
    try:
        await _wait_ready(base)
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            # The server runs on the real clock, not the tests' fixed one.
            today = datetime.fromtimestamp(time.time(), UTC).date()
            incident = await client.post(
                "/api/v1/incidents", headers=headers["official"],
                json={"name": "Crash floods", "started_on": str(today), "description": ""},
            )  # fmt: skip
            incident_id = incident.json()["id"]
            starts = datetime.fromtimestamp(time.time(), UTC).replace(microsecond=0) + timedelta(
                days=2
            )
            shift = await client.post(
                "/api/v1/shifts", headers=headers["ngo"],
                json={"incident_id": incident_id, "title": "Sandbags",
                      "starts_at": starts.isoformat(),
                      "ends_at": (starts + timedelta(hours=3)).isoformat(),
                      "lat": 30.0, "lon": 114.0, "capacity": 5, "skills": []},
            )  # fmt: skip
            assert shift.status_code == 201, shift.text
            shift_id = shift.json()["id"]

            async def sign_up(n: int) -> None:
                email = f"crash{n}@example.org"
                r = await client.post(
                    "/api/v1/auth/register",
                    json={"email": email, "password": "a long enough password",
                          "name": f"Crash {n}", "role": "volunteer"},
                )  # fmt: skip
                if r.status_code == 201:
                    acknowledged["register"].append(email)
                    token = await client.post(
                        "/api/v1/auth/token",
                        json={"email": email, "password": "a long enough password"},
                    )
                    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
                    s = await client.post(f"/api/v1/shifts/{shift_id}/signup", headers=bearer)
                    if s.status_code in (200, 201):
                        acknowledged["signup"].append((email, s.json()["status"]))

            async def donate(n: int) -> None:
                key = f"crash-key-{n}"
                r = await client.post(
                    "/api/v1/donations",
                    headers={**headers[f"donor{n % 4}"], "Idempotency-Key": key},
                    json={"incident_id": incident_id, "amount_minor": 100 + n,
                          "currency": "CNY"},
                )  # fmt: skip
                if r.status_code == 201:
                    acknowledged["donation"].append((r.json()["id"], key, 100 + n))

            async def need(n: int) -> None:
                r = await client.post(
                    "/api/v1/needs", headers=headers["official"],
                    json={"incident_id": incident_id, "title": f"Need {n}",
                          "category": "shelter", "quantity": 1 + n, "unit": "tents",
                          "priority": "high", "needed_by": str(today + timedelta(days=5)),
                          "lat": 30.0, "lon": 114.0},
                )  # fmt: skip
                if r.status_code == 201:
                    acknowledged["need"].append(r.json()["id"])

            async def receipt(n: int) -> None:
                # Money without a pledge: a ledger entry, chained to the one before it.
                r = await client.post(
                    "/api/v1/receipts", headers=headers["official"],
                    json={"incident_id": incident_id, "amount_minor": 1_000 + n,
                          "currency": "CNY", "reference": f"CRASH-{n}"},
                )  # fmt: skip
                if r.status_code == 201:
                    acknowledged["receipt"].append(r.json()["id"])

            async def guarded(write, n: int) -> None:
                # Cut off by the kill: neither acknowledged nor counted. The coroutine is made
                # here, so a batch cancelled before it starts leaves none un-awaited.
                with contextlib.suppress(httpx.TransportError, KeyError, ValueError):
                    await write(n)

            async def stream() -> None:
                n = 0
                while True:
                    batch = [(sign_up, n), (donate, n), (need, n), (donate, n + 10_000)]
                    batch += [(need, n + 1), (receipt, n)]
                    await asyncio.gather(*(guarded(write, k) for write, k in batch))
                    n += 2

            streaming = asyncio.ensure_future(stream())
            # Kill mid-stream once enough writes were acknowledged (a loaded machine is slower).
            for _ in range(600):
                if sum(map(len, acknowledged.values())) >= WRITES_BEFORE_KILL:
                    break
                await asyncio.sleep(0.1)
            server.send_signal(signal.SIGKILL)
            server.wait(10)
            await asyncio.sleep(0.2)
            streaming.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await streaming
        total = sum(len(v) for v in acknowledged.values())
        assert total >= WRITES_BEFORE_KILL, (
            acknowledged
        )  # the kill came mid-stream, after real writes
        # Restart on the same database and check through the server and the tables.
        server = _start(env, port)
        await _wait_ready(base)
        found: dict[str, int] = {}
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            verify = (await client.get(f"/api/v1/ledger/verify?incident_id={incident_id}")).json()
            assert verify["ok"], verify
            found["need"] = 0
            for need_id in acknowledged["need"]:
                found["need"] += (await client.get(f"/api/v1/needs/{need_id}")).status_code == 200
            shift = (await client.get(f"/api/v1/shifts/{shift_id}")).json()
            # The same Idempotency-Key again answers the donation the first call acknowledged.
            for donation_id, key, amount in acknowledged["donation"]:
                donor = headers[f"donor{(amount - 100) % 10_000 % 4}"]
                again = await client.post(
                    "/api/v1/donations",
                    headers={**donor, "Idempotency-Key": key},
                    json={"incident_id": incident_id, "amount_minor": amount, "currency": "CNY"},
                )
                assert again.status_code in (200, 201) and again.json()["id"] == donation_id
        from donations.models import Donation, LedgerEntry
        from volunteers.models import Signup

        async with database.session() as session:
            emails = set(await session.scalars(select(User.email)))
            found["register"] = len(set(acknowledged["register"]) & emails)
            donation_ids = set(await session.scalars(select(Donation.id)))
            found["donation"] = len({d[0] for d in acknowledged["donation"]} & donation_ids)
            found["receipt"] = len(set(acknowledged["receipt"]) & donation_ids)
            signed = await session.execute(
                select(User.email, Signup.status)
                .join(Signup, Signup.volunteer_id == User.id)
                .where(Signup.shift_id == shift_id)
            )
            found["signup"] = len(set(acknowledged["signup"]) & {tuple(row) for row in signed})
            confirmed = await session.scalar(
                select(func.count())
                .select_from(Signup)
                .where(Signup.shift_id == shift_id, Signup.status == "confirmed")
            )
            # Every receipt acknowledged has its ledger entry; none is there without its gift.
            entries = await session.scalar(
                select(func.count())
                .select_from(LedgerEntry)
                .where(LedgerEntry.incident_id == incident_id, LedgerEntry.kind == "receipt")
            )
            received = await session.scalar(
                select(func.count())
                .select_from(Donation)
                .where(Donation.incident_id == incident_id, Donation.status == "received")
            )
        figures = {k: f"{len(v)}/{found[k]}" for k, v in acknowledged.items()}
        print(
            f"\ncrash ({database_url.split(':')[0]}): acknowledged/found "
            + ", ".join(f"{k} {v}" for k, v in figures.items())
            + f"; filled {shift['filled']} = confirmed {confirmed}; ledger entries {entries}"
            + f" = received gifts {received}, chain verifies"
        )
        assert all(found[k] == len(v) for k, v in acknowledged.items()), figures
        assert shift["filled"] == confirmed
        assert entries == received
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGKILL)
            server.wait(10)
        await database.dispose()
