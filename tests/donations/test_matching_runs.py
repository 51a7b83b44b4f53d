"""Matching runs as jobs: 202 and Location, status and progress, one run at a time, failures."""

import asyncio
import threading
from datetime import timedelta

import pytest
from sqlalchemy import update

import core.matching as core_matching
from core import clock, jobs
from donations.models import MatchingRun
from tests.donations.conftest import offer_body

pytestmark = pytest.mark.asyncio


async def start(client, world, **body):
    return await client.post(
        "/api/v1/matching/runs",
        json={"incident_id": world.incident.id, **body},
        headers=world.headers["official"],
    )


async def status_of(client, world, run_id: int) -> dict:
    response = await client.get(
        f"/api/v1/matching/runs/{run_id}", headers=world.headers["official"]
    )
    return response.json()


async def test_a_run_is_queued_refused_twice_then_done(client, world):
    await client.post(
        "/api/v1/offers", json=offer_body(world.incident.id), headers=world.headers["ngo"]
    )
    queued = await start(client, world)
    assert queued.status_code == 202
    body = queued.json()
    assert body["status"] == "queued" and body["progress"] == 0 and body["proposals"] == []
    assert queued.headers["location"].endswith(f"/api/v1/matching/runs/{body['id']}")
    again = await start(client, world)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "matching_run_in_progress"
    await jobs.run_job(world.database, "matching.run", {"run_id": body["id"]})
    done = await status_of(client, world, body["id"])
    assert done["status"] == "done" and done["progress"] == 100 and done["phase"] == "done"
    assert done["proposals"] and done["error"] is None
    # Done, so the next run may start; running the finished job again changes nothing.
    await jobs.run_job(world.database, "matching.run", {"run_id": body["id"]})
    assert (await status_of(client, world, body["id"]))["proposals"] == done["proposals"]
    assert (await start(client, world)).status_code == 202


async def test_the_job_goes_through_the_queue(client, world):
    # SQLite's own runner; on PostgreSQL pgqueuer's workers run it (tests/core/test_pg_workers.py).
    if world.database.engine.dialect.name != "sqlite":
        pytest.skip("the in-process runner is SQLite's; PostgreSQL's queue has its own tests")
    run_id = (await start(client, world)).json()["id"]
    assert await jobs.run_due(world.database) == 1
    assert (await status_of(client, world, run_id))["status"] == "done"


async def test_progress_is_visible_while_the_run_works(client, world, monkeypatch):
    await client.post(
        "/api/v1/offers", json=offer_body(world.incident.id), headers=world.headers["ngo"]
    )
    release = threading.Event()
    real_match = core_matching.match

    def slow_match(*args, **kwargs):
        kwargs["progress"](0.5)
        assert release.wait(10)
        return real_match(*args, **kwargs)

    monkeypatch.setattr(core_matching, "match", slow_match)
    run_id = (await start(client, world)).json()["id"]
    job = asyncio.create_task(jobs.run_job(world.database, "matching.run", {"run_id": run_id}))
    seen = None
    for _ in range(100):
        seen = await status_of(client, world, run_id)
        if seen["phase"] == "matching" and seen["progress"] > 15:
            break
        await asyncio.sleep(0.1)
    # Half of the matching phase (15..90 %), seen from another connection mid-run.
    assert seen["status"] == "running" and seen["progress"] == 15 + round(75 * 0.5), seen
    release.set()
    await job
    assert (await status_of(client, world, run_id))["status"] == "done"


async def test_a_failed_run_says_why_and_does_not_block_the_next(client, world, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("solver exploded")

    monkeypatch.setattr(core_matching, "match", broken)
    run_id = (await start(client, world)).json()["id"]
    await jobs.run_job(world.database, "matching.run", {"run_id": run_id})
    failed = await status_of(client, world, run_id)
    assert failed["status"] == "failed" and failed["phase"] == "failed"
    assert "solver exploded" in failed["error"]
    assert failed["proposals"] == []
    monkeypatch.undo()
    assert (await start(client, world)).status_code == 202


async def test_a_run_whose_worker_stopped_no_longer_blocks(client, world):
    run_id = (await start(client, world)).json()["id"]
    async with world.database.transaction() as session:
        await session.execute(
            update(MatchingRun)
            .where(MatchingRun.id == run_id)
            .values(status="running", updated_at=clock.utcnow() - timedelta(hours=1))
        )
    assert (await start(client, world)).status_code == 202
    stale = await status_of(client, world, run_id)
    assert stale["status"] == "failed" and "stopped" in stale["error"]


async def test_the_bound_is_validated(client, world):
    response = await start(client, world, max_area_gap_pct=150)
    assert response.status_code == 422
    assert "max_area_gap_pct" in response.json()["error"]["fields"]
