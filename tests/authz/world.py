"""The authorization matrix's world: twelve role states and one object of each kind, on side A."""

import asyncio
import csv
import io
import re
import shutil
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select

from core import clock, jobs
from core.app import create_app
from core.models import OrgKind, Role
from core.settings import Settings
from tests.authz import world_preparedness
from tests.conftest import Factory

GOV = OrgKind.government
# The twelve role states, in the column order of every row.
ROLES = (
    "anonymous",
    "volunteer1",
    "volunteer2",
    "donor1",
    "donor2",
    "ngo_pending",
    "official_pending",
    "ngo_a",
    "ngo_b",
    "official_a",
    "official_b",
    "admin",
)


@dataclass
class World:
    """Bearer headers per role state and the ids (and tokens) of side A's objects."""

    headers: dict[str, dict[str, str]]
    ids: dict[str, Any] = field(default_factory=dict)


class DryRun:
    """While on, every request's transaction rolls back instead of committing, so each request
    of the matrix meets the same world whatever ran before it (and in whatever order)."""

    def __init__(self, database):
        self.on = False
        original = database.session

        def session(*, write: bool = True):
            made = original(write=write)
            if self.on:
                made.commit = made.rollback  # the handler's answer stands, its writes do not
            return made

        database.session = session


def _today(days: int = 0) -> str:
    return (clock.today("Asia/Shanghai") + timedelta(days=days)).isoformat()


def _at(days: int, hours: int = 0) -> str:
    base = clock.utcnow().replace(microsecond=0, minute=0) + timedelta(days=days, hours=hours)
    return base.isoformat()


async def database_for_module(migrated_url: str, pg_reset, tmp_path) -> str:
    """A clean, migrated database the module's world lives in (the per-test one is too short)."""
    if pg_reset is not None:
        await pg_reset()
        return migrated_url
    source = re.sub(r"^sqlite\+aiosqlite:///", "", migrated_url)
    target = tmp_path / "authz.db"
    await asyncio.to_thread(shutil.copyfile, source, target)
    return f"sqlite+aiosqlite:///{target}"


def make_settings(database_url: str, tmp_path) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key="test-secret",
        mail_dir=tmp_path / "mail",
        upload_dir=tmp_path / "uploads",
        login_failures_allowed=10,
    )


async def build_world(app, client: httpx.AsyncClient) -> World:  # noqa: PLR0915 - one story
    factory = Factory(app)
    people = {
        "volunteer1": await factory.user(Role.volunteer, email="volunteer1@authz.org"),
        "volunteer2": await factory.user(Role.volunteer, email="volunteer2@authz.org"),
        "donor1": await factory.user(Role.donor, email="donor1@authz.org"),
        "donor2": await factory.user(Role.donor, email="donor2@authz.org"),
        "ngo_pending": await factory.user(
            Role.ngo, verified=False, org="Pending Helpers", org_kind=OrgKind.ngo
        ),
        "official_pending": await factory.user(
            Role.official, verified=False, org="Pending Bureau", org_kind=OrgKind.government
        ),
        "ngo_a": await factory.user(Role.ngo, org="NGO A", org_kind=OrgKind.ngo),
        "ngo_b": await factory.user(Role.ngo, org="NGO B", org_kind=OrgKind.ngo),
        "official_a": await factory.user(Role.official, org="Agency A", org_kind=GOV),
        "official_b": await factory.user(Role.official, org="Agency B", org_kind=GOV),
        "admin": await factory.user(Role.admin, email="admin@authz.org"),
    }
    granted = await factory.user(Role.official, org="Agency C", org_kind=OrgKind.government)
    headers: dict[str, dict[str, str]] = {"anonymous": {}}
    for key, user in people.items():
        headers[key] = await factory.token(user)
    world = World(headers)
    ids = world.ids
    ids |= {f"user_{k}": u.id for k, u in people.items()}
    ids |= {f"org_{k}": u.organization_id for k, u in people.items() if u.organization_id}
    ids["org_granted"] = granted.organization_id

    async def call(method: str, path: str, who: str, expect: tuple[int, ...] = (200, 201), **kw):
        response = await client.request(method, path, headers=headers[who], **kw)
        assert response.status_code in expect, (method, path, response.text)
        return response.json() if response.content else None

    incident = await call(
        "POST", "/api/v1/incidents", "official_a",
        json={"name": "River floods", "started_on": _today(-3), "description": "",
              "time_zone": "Asia/Shanghai"},
    )  # fmt: skip
    ids["incident"] = incident["id"]
    await call(
        "POST", f"/api/v1/incidents/{ids['incident']}/agencies", "official_a",
        json={"organization_id": ids["org_granted"]},
    )  # fmt: skip
    area = {"incident_id": ids["incident"], "name": "Willow Village", "lat": 30.6, "lon": 114.3}
    ids["area"] = (await call("POST", "/api/v1/areas", "official_a", json=area))["id"]
    need = {
        "incident_id": ids["incident"], "area_id": ids["area"], "title": "Family tents",
        "category": "shelter", "quantity": 40, "unit": "tents", "priority": "high",
        "needed_by": _today(10), "lat": 30.6, "lon": 114.3,
    }  # fmt: skip
    ids["need"] = (await call("POST", "/api/v1/needs", "official_a", json=need))["id"]
    project = {
        "incident_id": ids["incident"], "title": "Rebuild the school",
        "lead_org_id": ids["org_official_a"], "budget_minor": 100_000, "currency": "CNY",
        "starts_on": _today(), "due_on": _today(90),
    }  # fmt: skip
    ids["project"] = (await call("POST", "/api/v1/projects", "official_a", json=project))["id"]
    milestone = {"title": "Walls up", "due_on": _today(30)}
    ids["milestone"] = (
        await call("POST", f"/api/v1/projects/{ids['project']}/milestones", "official_a",
                   json=milestone)
    )["id"]  # fmt: skip
    task = {"title": "Pour the foundations", "responsible_org_id": ids["org_ngo_a"],
            "due_on": _today(20)}  # fmt: skip
    ids["task"] = (
        await call("POST", f"/api/v1/projects/{ids['project']}/tasks", "official_a", json=task)
    )["id"]
    report = {"incident_id": ids["incident"], "title": "Week one", "body_markdown": "Tents up."}
    ids["report"] = (await call("POST", "/api/v1/reports", "official_a", json=report))["id"]
    shift = {
        "incident_id": ids["incident"], "title": "Sandbag filling", "starts_at": _at(-1),
        "ends_at": _at(-1, 4), "lat": 30.6, "lon": 114.3, "capacity": 5, "skills": [],
    }  # fmt: skip
    # A shift that started yesterday, so attendance can be recorded on it.
    clock.set_clock(clock.utcnow() - timedelta(days=2), ticking=True)
    try:
        ids["shift"] = (await call("POST", "/api/v1/shifts", "ngo_a", json=shift))["id"]
        await call("POST", f"/api/v1/shifts/{ids['shift']}/signup", "volunteer1")
        await call("POST", f"/api/v1/shifts/{ids['shift']}/signup", "volunteer2")
    finally:
        clock.set_clock(clock.utcnow() + timedelta(days=2), ticking=True)
    await call(
        "POST", f"/api/v1/shifts/{ids['shift']}/attendance", "ngo_a",
        json={"volunteer_id": ids["user_volunteer1"], "checked_in_at": _at(-1),
              "checked_out_at": _at(-1, 3)},
    )  # fmt: skip
    future = dict(shift, title="Kitchen", starts_at=_at(3), ends_at=_at(3, 4))
    ids["shift_open"] = (await call("POST", "/api/v1/shifts", "ngo_a", json=future))["id"]
    link = await call("POST", "/api/v1/volunteers/me/calendar", "volunteer1")
    ids["calendar_token"] = link["url"].rstrip("/").rsplit("/", 1)[-1].removesuffix(".ics")
    offer = {
        "incident_id": ids["incident"], "category": "shelter", "quantity": 10, "unit": "tents",
        "lat": 30.6, "lon": 114.3, "radius_km": 50, "available_from": _today(),
        "available_until": _today(20), "description": "NGO A's tents",
    }  # fmt: skip
    ids["offer"] = (await call("POST", "/api/v1/offers", "ngo_a", json=offer))["id"]
    pledge = dict(offer, quantity=3, description="Tents in my garage", lat=30.0456)
    ids["pledge"] = (await call("POST", "/api/v1/offers", "donor1", json=pledge))["id"]
    run = await call(
        "POST", "/api/v1/matching/runs", "official_a", expect=(200, 201, 202),
        json={"incident_id": ids["incident"]},
    )  # fmt: skip
    ids["run"] = run["id"]
    # The run is a job: run it here as a worker would (a repeated run of it does nothing).
    await jobs.run_job(app.state.database, "matching.run", {"run_id": run["id"]})
    for _ in range(100):
        if run.get("status", "done") in ("done", "failed"):
            break
        await asyncio.sleep(0.05)
        run = await call("GET", f"/api/v1/matching/runs/{ids['run']}", "official_a")
    proposals = {p["offer_id"]: p["id"] for p in run["proposals"]}
    ids["match"] = proposals[ids["offer"]]
    ids["match_pledge"] = proposals.get(ids["pledge"], ids["match"])
    await call("POST", f"/api/v1/matches/{ids['match']}/accept", "official_a")
    donation = {"incident_id": ids["incident"], "amount_minor": 5_000, "currency": "CNY",
                "public_name": "Bell"}  # fmt: skip
    response = await client.post(
        "/api/v1/donations",
        json=donation,
        headers={**headers["donor1"], "Idempotency-Key": "authz-donation-1"},
    )
    assert response.status_code == 201, response.text
    ids["donation"] = response.json()["id"]
    await call(
        "POST", f"/api/v1/donations/{ids['donation']}/receive", "official_a",
        json={"reference": "BANK-1"},
    )  # fmt: skip
    disbursement = {"incident_id": ids["incident"], "amount_minor": 1_000, "currency": "CNY",
                    "description": "Tarpaulins"}  # fmt: skip
    ids["disbursement"] = (
        await call("POST", "/api/v1/disbursements", "official_a", json=disbursement)
    )["id"]
    ledger = await call("GET", f"/api/v1/ledger?incident_id={ids['incident']}", "anonymous")
    ids["ledger_entry"] = ledger["items"][-1]["id"]
    dont = {"incident_id": ids["incident"], "category": "food", "label": "Homemade food",
            "reason": "Storage is full"}  # fmt: skip
    ids["dont_send"] = (await call("POST", "/api/v1/dont-send", "official_a", json=dont))["id"]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["title", "category", "quantity", "unit", "priority", "needed_by"])
    writer.writerow(["Blankets", "shelter", 300, "blankets", "high", _today(5)])
    job = await call(
        "POST", "/api/v1/needs/import", "official_a",
        data={"incident_id": str(ids["incident"])},
        files={"file": ("needs.csv", buffer.getvalue().encode(), "text/csv")},
    )  # fmt: skip
    ids["import"] = job["id"]
    help_request = await call(
        "POST", "/api/v1/help-requests", "anonymous",
        json={"incident_id": ids["incident"], "category": "shelter",
              "description": "Roof gone, two children", "contact_name": "Ann",
              "contact_phone": "+86 138 0000 0000", "consent": True},
    )  # fmt: skip
    ids["help_request"] = help_request["id"]
    ids["help_token"] = help_request["follow_up_url"].rstrip("/").rsplit("/", 1)[-1]
    second = await call(
        "POST", "/api/v1/help-requests", "anonymous",
        json={"incident_id": ids["incident"], "category": "shelter",
              "description": "Roof gone at number 5"},
    )  # fmt: skip
    ids["help_request2"] = second["id"]
    complaint = await call(
        "POST", "/api/v1/complaints", "anonymous",
        json={"incident_id": ids["incident"], "about_kind": "task", "about_id": ids["task"],
              "text": "Nobody came"},
    )  # fmt: skip
    ids["complaint"] = complaint["id"]
    ids["complaint_token"] = complaint["follow_up_url"].rstrip("/").rsplit("/", 1)[-1]
    await world_preparedness.build(app, call, ids)
    survey = await call(
        "POST", "/api/v1/surveys", "official_a",
        json={"incident_id": ids["incident"], "title": "How did it go?", "invite": False,
              "questions": [{"kind": "scale", "text": "How satisfied are you?"}]},
    )  # fmt: skip
    ids["survey"] = survey["id"]
    ids["survey_question"] = survey["questions"][0]["id"]
    # Deliver the mail the world queued now: under the dry run a job's commit would roll back.
    while await jobs.run_due(app.state.database):
        pass
    return world


async def make_app(database_url: str, tmp_path):
    application = create_app(make_settings(database_url, tmp_path))
    return application


async def scalar(app, statement) -> Any:
    async with app.state.database.session() as session:
        return await session.scalar(statement)


__all__ = ["ROLES", "DryRun", "World", "build_world", "scalar", "select"]
