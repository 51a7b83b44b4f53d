"""Admins see failed jobs with their error (page and API) and retry them; on SQLite the web
process's own worker delivers mail with nothing else running."""

import asyncio
from email import message_from_bytes

import httpx
import jsonschema
import pytest
from sqlalchemy import select

from core import jobs
from core.app import create_app
from core.models import AuditEntry, FailedJob, Role
from tests.conftest import sign_in

pytestmark = pytest.mark.asyncio


async def _failed(app) -> int:
    await jobs.record_failure(
        app.state.database,
        "core.send_mail",
        {"id": 41},
        8,
        "Traceback (most recent call last):\nSMTPConnectError: connection refused",
    )
    async with app.state.database.session() as session:
        return (await session.scalar(select(FailedJob))).id


async def test_failed_jobs_listed_for_admins_with_their_error_and_retried(client, factory, app):
    failed_id = await _failed(app)
    admin = await factory.token(await factory.user(Role.admin))
    listed = await client.get("/api/v1/admin/jobs/failed", headers=admin)
    assert listed.status_code == 200
    body = listed.json()
    assert body["total"] == 1
    item = body["items"][0]
    assert item["name"] == "core.send_mail" and item["payload"] == {"id": 41}
    assert item["attempts"] == 8 and "connection refused" in item["error"]
    spec = (await client.get("/openapi.json")).json()
    op = spec["paths"]["/api/v1/admin/jobs/failed"]["get"]
    schema = op["responses"]["200"]["content"]["application/json"]["schema"]
    jsonschema.validate(body, {**schema, "components": spec["components"]})

    retried = await client.post(f"/api/v1/admin/jobs/failed/{failed_id}/retry", headers=admin)
    assert retried.status_code == 202 and retried.json() == {"id": failed_id, "status": "queued"}
    again = await client.post(f"/api/v1/admin/jobs/failed/{failed_id}/retry", headers=admin)
    assert again.status_code == 404
    assert (await client.get("/api/v1/admin/jobs/failed", headers=admin)).json()["total"] == 0
    async with app.state.database.session() as session:
        assert await jobs.queue_depth(session) == 1
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "job.retry"))
        assert entry.object_id == failed_id


async def test_failed_jobs_are_for_admins_only(client, factory, app):
    await _failed(app)
    official = await factory.token(await factory.user(Role.official))
    assert (await client.get("/api/v1/admin/jobs/failed", headers=official)).status_code == 403
    assert (await client.get("/api/v1/admin/jobs/failed")).status_code == 401


async def test_admin_page_shows_the_error_and_retries(client, factory, app):
    failed_id = await _failed(app)
    admin = await factory.user(Role.admin)
    await sign_in(client, admin.email)
    page = await client.get("/admin/jobs")
    assert page.status_code == 200
    assert "SMTPConnectError: connection refused" in page.text
    assert "core.send_mail" in page.text
    retried = await client.post(
        f"/admin/jobs/{failed_id}/retry", data={"csrftoken": client.cookies["csrftoken"]}
    )
    assert retried.status_code == 303
    page = await client.get("/admin/jobs")
    assert "connection refused" not in page.text
    assert "Background jobs waiting or running: 1." in page.text


async def test_web_process_delivers_mail_on_sqlite_with_no_worker_running(settings):
    if not settings.is_sqlite:
        pytest.skip("the in-process worker is SQLite's; PostgreSQL runs `commons worker`")
    app = create_app(settings.model_copy(update={"jobs_in_process": None}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            registered = await c.post(
                "/api/v1/auth/register",
                json={
                    "email": "mei@example.org",
                    "password": "correct horse battery",
                    "name": "Mei",
                    "role": "volunteer",
                },
            )
            assert registered.status_code == 201, registered.text
            reset = await c.post("/api/v1/auth/password-reset", json={"email": "mei@example.org"})
            assert reset.status_code == 202
        for _ in range(100):
            files = list(settings.mail_dir.glob("*.eml"))
            if files:
                break
            await asyncio.sleep(0.05)
    assert len(files) == 1
    mail = message_from_bytes(files[0].read_bytes())
    assert mail["To"] == "mei@example.org"
