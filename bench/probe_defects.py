"""Probe a real server over HTTP for the eleven defects of the trust issue (10), on the demo
data set: prints one line per check and exits non-zero when any is open again.

`.venv/bin/python bench/probe_defects.py` serves a scratch SQLite database of its own;
`--database-url postgresql+asyncpg://…/NAME` a throwaway PostgreSQL database beside NAME
(dropped afterwards); `--base-url URL` probes a server already running on the demo data (it
writes a few rows there: offers, a need, an official's registration).
"""

import argparse
import asyncio
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "demo-password"
HUGE = 2**63
RESULTS: list[tuple[str, bool, str]] = []


def check(defect: str, ok: bool, detail: str) -> None:
    RESULTS.append((defect, ok, detail))
    print(f"{'ok  ' if ok else 'OPEN'} {defect}: {detail}")


def day(offset: int = 0) -> str:
    return (date.today() + timedelta(days=offset)).isoformat()


class Probe:
    def __init__(self, base_url: str):
        self.base = base_url.rstrip("/")
        self.tokens: dict[str, str] = {}

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=60, follow_redirects=False)

    def token(self, who: str) -> dict:
        """A bearer header for a demo account by its name, or any account by its email."""
        if who not in self.tokens:
            email = who if "@" in who else f"{who}@demo.example.org"
            with self.client() as c:
                answer = c.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
                answer.raise_for_status()
                self.tokens[who] = answer.json()["access_token"]
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def call(self, method: str, path: str, who: str | None = None, **kw) -> httpx.Response:
        headers = {**(self.token(who) if who else {}), **kw.pop("headers", {})}
        with self.client() as c:
            return c.request(method, path, headers=headers, **kw)

    def incident(self) -> int:
        items = self.call("GET", "/api/v1/incidents").json()["items"]
        return next(i["id"] for i in items if i["name"] == "Riverside Floods 2026")

    def sign_in(self, c: httpx.Client, who: str) -> None:
        page = c.get("/login")
        token = re.search(r'name="csrftoken" value="([^"]+)"', page.text)[1]
        answer = c.post(
            "/login",
            data={"email": f"{who}@demo.example.org", "password": PASSWORD, "csrftoken": token},
        )
        assert answer.status_code in (302, 303), answer.text[:300]


def offers_are_private(p: Probe, incident: int) -> None:
    offer = {
        "incident_id": incident,
        "category": "shelter",
        "quantity": 10,
        "unit": "tents",
        "lat": 30.6,
        "lon": 114.3,
        "radius_km": 50,
        "available_from": day(),
        "available_until": day(20),
        "description": "Probe: Red Cross tents",
    }
    ngo = p.call("POST", "/api/v1/offers", "ngo", json=offer).json()["id"]
    pledge = dict(offer, quantity=2, description="Probe: my garage", lat=30.0456)
    mine = p.call("POST", "/api/v1/offers", "donor", json=pledge).json()["id"]
    other_ngo = p.call("GET", f"/offers/{ngo}/edit", "blue.sky")
    other_donor = p.call("GET", f"/offers/{mine}/edit", "giving")
    ok = other_ngo.status_code == 403 and other_donor.status_code == 403
    ok = ok and "Probe:" not in other_ngo.text + other_donor.text
    check(
        "1 another's offer form",
        ok,
        f"NGO B -> {other_ngo.status_code}, other donor -> {other_donor.status_code}",
    )


def control_characters(p: Probe, incident: int) -> None:
    gift = {
        "incident_id": incident,
        "amount_minor": 100,
        "currency": "CNY",
        "public_name": "Bell\u0007",
    }
    answer = p.call(
        "POST", "/api/v1/donations", "donor", json=gift, headers={"Idempotency-Key": "probe-bell"}
    )
    named = answer.status_code == 422 and "public_name" in answer.json()["error"]["fields"]
    project = {
        "incident_id": incident,
        "title": "Bridge\u000b",
        "lead_org_id": 1,
        "budget_minor": 1,
        "currency": "CNY",
        "starts_on": day(),
        "due_on": day(9),
    }
    titled = p.call("POST", "/api/v1/projects", "official", json=project)
    iati = p.call("GET", f"/api/v1/export/iati.xml?incident_id={incident}")
    atom = p.call("GET", f"/incidents/{incident}/reports.atom")
    ok = named and titled.status_code == 422 and iati.status_code == 200 == atom.status_code
    check(
        "2 control characters",
        ok,
        f"public_name -> {answer.status_code}, project title -> {titled.status_code}, "
        f"iati.xml -> {iati.status_code}, reports.atom -> {atom.status_code}",
    )


def logout_ends_the_session(p: Probe) -> None:
    with p.client() as c:
        p.sign_in(c, "volunteer")
        saved = dict(c.cookies)
        before = c.get("/account").status_code
        page = c.get("/account")
        token = re.search(r'name="csrftoken" value="([^"]+)"', page.text)[1]
        c.post("/logout", data={"csrftoken": token})
    with p.client() as replay:
        for name, value in saved.items():
            replay.cookies.set(name, value)
        after = replay.get("/account")
    ok = before == 200 and after.status_code in (302, 303) and "/login" in after.headers["location"]
    check(
        "3 logout", ok, f"/account before {before}, with the old cookie after {after.status_code}"
    )


def huge_integers(p: Probe, incident: int) -> None:
    paths = [
        f"/api/v1/needs/{HUGE}",
        f"/needs/{HUGE}",
        f"/organizations/{HUGE}",
        f"/incidents/{HUGE}/reports.atom",
        f"/incidents/{HUGE}/funds",
    ]
    statuses = {path: p.call("GET", path).status_code for path in paths}
    queries = {
        f"/api/v1/needs?incident_id={HUGE}": "incident_id",
        f"/api/v1/needs?area_id={HUGE}": "area_id",
        f"/api/v1/needs?offset={HUGE}": "offset",
    }
    for path in queries:
        statuses[path] = p.call("GET", path).status_code
    need = {
        "incident_id": HUGE,
        "title": "Tanks",
        "category": "shelter",
        "quantity": 5,
        "unit": "tanks",
        "priority": "high",
        "needed_by": day(7),
        "lat": 30.6,
        "lon": 114.3,
    }
    body = p.call("POST", "/api/v1/needs", "official", json=need)
    statuses["POST /api/v1/needs incident_id"] = body.status_code
    ok = all(statuses[path] == 404 for path in paths) and all(
        statuses[path] == 422 for path in queries
    )
    ok = ok and body.status_code == 422 and "incident_id" in body.json()["error"]["fields"]
    check("4 integers >= 2**63", ok, ", ".join(f"{k} {v}" for k, v in statuses.items()))


def nul_bytes(p: Probe, incident: int) -> None:
    need = {
        "incident_id": incident,
        "title": "a\u0000b",
        "category": "shelter",
        "quantity": 5,
        "unit": "tanks",
        "priority": "high",
        "needed_by": day(7),
        "lat": 30.6,
        "lon": 114.3,
    }
    title = p.call("POST", "/api/v1/needs", "official", json=need)
    unit = p.call("POST", "/api/v1/needs", "official", json=dict(need, title="ok", unit="t\0"))
    query = p.call("GET", "/api/v1/needs?q=%00")
    register = p.call(
        "POST",
        "/api/v1/auth/register",
        json={
            "email": "nul@example.org",
            "password": "a long password 1",
            "name": "N\u0000",
            "role": "volunteer",
        },
    )
    got = [title.status_code, unit.status_code, query.status_code, register.status_code]
    ok = got == [422, 422, 422, 422] and "title" in title.json()["error"]["fields"]
    check("5 NUL bytes", ok, f"need title, unit, ?q=, registration name -> {got}")


def deep_json(p: Probe) -> None:
    body = "[" * 100_000 + "]" * 100_000
    answer = p.call(
        "POST",
        "/api/v1/needs",
        "official",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    check("6 deeply nested JSON", answer.status_code == 400, f"-> {answer.status_code}")


def far_dates(p: Probe) -> None:
    answer = p.call("GET", "/api/v1/shifts?date_to=9999-12-31")
    start = p.call("GET", "/api/v1/shifts?date_from=0001-01-01")
    ok = answer.status_code < 500 and start.status_code < 500
    check(
        "7 far dates",
        ok,
        f"date_to=9999-12-31 -> {answer.status_code}, date_from=0001-01-01 -> {start.status_code}",
    )


def strict_types(p: Probe, incident: int) -> None:
    need = {
        "incident_id": incident,
        "title": "Tanks",
        "category": "shelter",
        "quantity": True,
        "unit": "tanks",
        "priority": "high",
        "needed_by": day(7),
        "lat": 30.6,
        "lon": 114.3,
    }
    boolean = p.call("POST", "/api/v1/needs", "official", json=need)
    offer = {
        "incident_id": incident,
        "category": "shelter",
        "quantity": 1,
        "unit": "tents",
        "lat": 30.6,
        "lon": 114.3,
        "radius_km": 5,
        "available_from": day(5),
        "available_until": day(1),
    }
    window = p.call("POST", "/api/v1/offers", "ngo", json=offer)
    fields = window.json()["error"]["fields"] if window.status_code == 422 else {}
    ok = boolean.status_code == 422 and "quantity" in boolean.json()["error"]["fields"]
    ok = ok and "available_until" in fields and "body" not in fields
    check(
        "8 strict types, named fields",
        ok,
        f"quantity=true -> {boolean.status_code}, until<from fields {sorted(fields)}",
    )


def throttle(p: Probe) -> None:
    statuses = []
    with p.client() as c:
        for _ in range(15):
            statuses.append(
                c.post(
                    "/api/v1/auth/token",
                    json={"email": "volunteer2@demo.example.org", "password": "wrong guess"},
                ).status_code
            )
        admin = c.post(
            "/api/v1/auth/token", json={"email": "admin@demo.example.org", "password": PASSWORD}
        )
        unknown = [
            c.post(
                "/api/v1/auth/token", json={"email": f"nobody{i}@example.org", "password": "x"}
            ).status_code
            for i in range(12)
        ]
    ok = admin.status_code == 200 and 429 in statuses and 429 in unknown
    check(
        "9 throttling",
        ok,
        f"15 wrong for one account: last {statuses[-1]}; then the admin's "
        f"correct password -> {admin.status_code}; unknown accounts: last {unknown[-1]}",
    )


def agencies(p: Probe, incident: int) -> None:
    """An official of a verified agency the incident's lead did not grant (the demo grants the
    housing bureau, so a water bureau registers for the probe)."""
    email = f"probe-water-{date.today():%Y%m%d}@example.org"
    registered = p.call(
        "POST",
        "/api/v1/auth/register",
        json={
            "email": email,
            "password": PASSWORD,
            "name": "Probe Water",
            "role": "official",
            "organization": f"Probe Water Bureau {email}",
        },
    )
    if registered.status_code == 201:
        org = registered.json()["organization_id"]
        p.call("POST", f"/api/v1/organizations/{org}/verify", "admin").raise_for_status()
    patch = p.call("PATCH", f"/api/v1/incidents/{incident}", email, json={"description": "x"})
    need = {
        "incident_id": incident,
        "title": "Tanks",
        "category": "shelter",
        "quantity": 5,
        "unit": "tanks",
        "priority": "high",
        "needed_by": day(7),
        "lat": 30.6,
        "lon": 114.3,
    }
    created = p.call("POST", "/api/v1/needs", email, json=need)
    board = p.call("GET", f"/api/v1/supervision?incident_id={incident}", email)
    granted = p.call("GET", f"/api/v1/supervision?incident_id={incident}", "housing")
    got = [patch.status_code, created.status_code, board.status_code]
    ok = got == [403, 403, 403] and granted.status_code == 200
    check(
        "10 another agency's incident",
        ok,
        f"an ungranted agency: PATCH incident, POST need, supervision -> {got}; "
        f"the granted housing bureau's supervision -> {granted.status_code}",
    )


def password_reset(p: Probe) -> None:
    known = p.call("POST", "/api/v1/auth/password-reset", json={"email": "donor@demo.example.org"})
    unknown = p.call("POST", "/api/v1/auth/password-reset", json={"email": "no@example.org"})
    page = p.call("GET", "/password-reset")
    bad = p.call(
        "POST",
        "/api/v1/auth/password-reset/confirm",
        json={"token": "not-a-token", "password": "a long new password"},
    )
    ok = known.status_code == 202 == unknown.status_code and page.status_code == 200
    ok = ok and bad.status_code in (400, 404, 410, 422)
    check(
        "11 password reset",
        ok,
        f"known {known.status_code}, unknown {unknown.status_code}, "
        f"page {page.status_code}, a made-up token {bad.status_code}",
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pg(url: str, create: bool) -> str:
    """Create (or drop) the throwaway PostgreSQL database beside `url`'s; returns its URL."""
    import asyncpg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    name = f"{parsed.database}_probe_{os.getpid()}"
    admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(False)

    async def run() -> None:
        conn = await asyncpg.connect(admin)
        try:
            verb = f'CREATE DATABASE "{name}"' if create else f'DROP DATABASE "{name}" WITH (FORCE)'
            await conn.execute(verb)
        finally:
            await conn.close()

    asyncio.run(run())
    return parsed.set(database=name).render_as_string(False)


@contextmanager
def served(database_url: str | None):
    """`commons serve` on the demo data of a scratch database; yields its base URL."""
    from core.cli import load_demo
    from core.migrate import upgrade
    from core.settings import Settings

    pg = bool(database_url and database_url.startswith("postgresql"))
    with tempfile.TemporaryDirectory() as tmp:
        url = _pg(database_url, True) if pg else f"sqlite+aiosqlite:///{tmp}/probe.db"
        server = None
        try:
            upgrade(url)
            settings = Settings(database_url=url, mail_dir=Path(tmp) / "mail")
            asyncio.run(load_demo(settings, "en"))  # the probes find its English names
            port = _free_port()
            env = {
                **os.environ,
                "DATABASE_URL": url,
                "COMMONS_MAIL_DIR": f"{tmp}/mail",
                "COMMONS_UPLOAD_DIR": f"{tmp}/uploads",
                "PYTHONPATH": str(ROOT),
            }
            server = subprocess.Popen(
                [sys.executable, "-m", "core.cli", "serve", "--port", str(port)],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            base = f"http://127.0.0.1:{port}"
            for _ in range(600):  # start-up is slow on a busy machine
                try:
                    if httpx.get(f"{base}/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            yield base
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=20)
            if pg:
                _pg(database_url, False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", help="a server already running on the demo data")
    parser.add_argument("--database-url", help="serve a throwaway database beside this one")
    args = parser.parse_args()
    if args.base_url:
        probe_all(args.base_url)
    else:
        with served(args.database_url) as base:
            probe_all(base)
    open_ = [d for d, ok, _ in RESULTS if not ok]
    closed = len(RESULTS) - len(open_)
    print(f"{closed} of {len(RESULTS)} closed" + (f"; open: {open_}" if open_ else ""))
    sys.exit(1 if open_ else 0)


def probe_all(base_url: str) -> None:
    p = Probe(base_url)
    incident = p.incident()
    offers_are_private(p, incident)
    control_characters(p, incident)
    logout_ends_the_session(p)
    huge_integers(p, incident)
    nul_bytes(p, incident)
    deep_json(p)
    far_dates(p)
    strict_types(p, incident)
    agencies(p, incident)
    password_reset(p)
    throttle(p)  # last: it leaves this address throttled for unknown accounts


if __name__ == "__main__":
    main()
