"""Metrics by route template, request ids in headers, logs and error pages, and /readyz."""

import io
import json
import logging
import re

import httpx
import pytest
import pytest_asyncio
from prometheus_client.parser import text_string_to_metric_families
from starlette.routing import Route

from core import jobs, notifications
from core.app import create_app
from core.clock import utcnow
from core.logs import RequestIdFilter, log_config
from core.models import FailedJob
from core.settings import Settings

pytestmark = pytest.mark.asyncio
TOKEN = "metrics-token-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest_asyncio.fixture
async def observed(settings):
    """The app with a metrics token and two routes that fail, a page and an API one."""
    settings = settings.model_copy(update={"metrics_token": TOKEN})
    application = create_app(settings)

    async def boom(request):
        raise RuntimeError("kaboom")

    application.router.routes[0:0] = [Route("/boom", boom), Route("/api/boom", boom)]
    async with application.router.lifespan_context(application):
        # The app's own 500 handling is under test, so the transport must not re-raise.
        transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            c.app = application
            yield c


def samples(text: str) -> list[tuple[str, dict, float]]:
    return [
        (sample.name, sample.labels, sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    ]


def value(text: str, name: str, /, **labels) -> float | None:
    for sample_name, sample_labels, sample_value in samples(text):
        if sample_name == name and all(sample_labels.get(k) == v for k, v in labels.items()):
            return sample_value
    return None


async def test_metrics_hidden_without_a_token_setting(client):
    assert (await client.get("/metrics")).status_code == 404
    assert (await client.get("/metrics", headers=AUTH)).status_code == 404


async def test_metrics_refuse_a_missing_or_wrong_token(observed):
    missing = await observed.get("/metrics")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    wrong = await observed.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert "commons_http" not in wrong.text


async def test_requests_are_counted_by_route_template_and_status(observed):
    for need_id in (12345, 12346, 12347):
        assert (await observed.get(f"/api/v1/needs/{need_id}")).status_code == 404
    assert (await observed.get("/healthz")).status_code == 200
    assert (await observed.get("/no/such/page/at/all")).status_code == 404
    scraped = await observed.get("/metrics", headers=AUTH)
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain; version=")
    text = scraped.text
    total = "commons_http_requests_total"
    assert value(text, total, method="GET", route="/api/v1/needs/{id}", status="404") == 3
    assert value(text, total, method="GET", route="/healthz", status="200") == 1
    assert value(text, total, route="<unmatched>", status="404") == 1
    # Raw paths never become labels: that would grow without bound.
    assert "12345" not in text and "/no/such" not in text
    histogram = "commons_http_request_duration_seconds"
    assert value(text, histogram + "_count", route="/api/v1/needs/{id}") == 3
    assert value(text, histogram + "_bucket", route="/api/v1/needs/{id}", le="+Inf") == 3
    assert value(text, histogram + "_sum", route="/api/v1/needs/{id}") > 0


async def test_server_errors_are_counted_with_their_template(observed):
    assert (await observed.get("/boom")).status_code == 500
    text = (await observed.get("/metrics", headers=AUTH)).text
    assert value(text, "commons_http_requests_total", route="/boom", status="500") == 1


async def test_outbox_backlog_and_queue_depth_are_reported(observed):
    async with observed.app.state.database.transaction() as session:
        for n in range(3):
            # Each mail is an outbox row and a core.send_mail job.
            await notifications.queue(
                session, kind="welcome", to_email=f"a{n}@example.org", subject="s", body="b"
            )
        await jobs.enqueue(session, "residents.follow_up", {"id": 1})
        session.add(FailedJob(name="core.send_mail", payload={"id": 9}, error="SMTP down"))
        session.add(FailedJob(name="x.retried", payload={}, error="e", retried_at=utcnow()))
    text = (await observed.get("/metrics", headers=AUTH)).text
    assert value(text, "commons_outbox_pending") == 3
    assert value(text, "commons_outbox_oldest_pending_seconds") >= 0
    assert value(text, "commons_jobs", name="core.send_mail", state="queued") == 3
    assert value(text, "commons_jobs", name="residents.follow_up", state="queued") == 1
    assert value(text, "commons_jobs", name="core.send_mail", state="failed") == 1
    # A failed job an admin already retried is no longer a failure.
    assert value(text, "commons_jobs", name="x.retried") is None
    assert value(text, "commons_jobs_failed") == 1


async def test_db_pool_usage_is_reported_and_returns_to_zero(observed):
    text = (await observed.get("/metrics", headers=AUTH)).text
    size = value(text, "commons_db_pool_connections", state="size")
    limit = value(text, "commons_db_pool_connections", state="limit")
    assert size >= 1 and limit >= size
    # The scrape itself holds a connection while it reads the queue.
    assert value(text, "commons_db_pool_connections", state="checked_out") == 1
    gauge = observed.app.state.metrics.pool.labels("checked_out")
    assert gauge._value.get() == 0


async def test_request_id_is_made_or_kept_and_returned(observed):
    made = (await observed.get("/healthz")).headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert (await observed.get("/healthz")).headers["x-request-id"] != made
    kept = await observed.get("/healthz", headers={"X-Request-ID": "lb-7f3a.42"})
    assert kept.headers["x-request-id"] == "lb-7f3a.42"
    for bad in ("has spaces", "x" * 200, "new\\nline"):
        replaced = await observed.get("/healthz", headers={"X-Request-ID": bad})
        assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["x-request-id"])


async def test_error_page_and_log_line_carry_the_request_id(observed, settings):
    stream = io.StringIO()
    config = log_config(settings.model_copy(update={"log_format": "json"}))["formatters"]
    from pythonjsonlogger.json import JsonFormatter

    options = {k: v for k, v in config["default"].items() if k != "()"}
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(**options))
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("commons")
    logger.addHandler(handler)
    try:
        page = await observed.get("/boom", headers={"X-Request-ID": "support-case-1"})
        api = await observed.get("/api/boom")
    finally:
        logger.removeHandler(handler)
    assert page.status_code == 500
    assert page.headers["x-request-id"] == "support-case-1"
    assert "Reference: support-case-1" in page.text
    assert api.status_code == 500
    assert api.json()["error"]["reference"] == api.headers["x-request-id"]
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    by_id = {line["request_id"]: line for line in lines}
    assert by_id["support-case-1"]["level"] == "ERROR"
    assert "kaboom" in by_id["support-case-1"]["exc_info"]
    assert api.headers["x-request-id"] in by_id


async def test_readyz_reports_each_check(client):
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "database": "ok", "queue": "ok"}


async def test_readyz_names_a_failed_queue(app, client):
    async def broken(session):
        raise RuntimeError("queue table missing")

    app.state.queue_check = broken
    ready = await client.get("/readyz")
    assert ready.status_code == 503
    error = ready.json()["error"]
    assert error["code"] == "not_ready"
    assert set(error["fields"]) == {"queue"}
    assert "queue table missing" in error["fields"]["queue"]


async def test_readyz_checks_redis_when_configured(settings):
    for url, status in (("redis://127.0.0.1:6379/0", 200), ("redis://127.0.0.1:1/0", 503)):
        application = create_app(settings.model_copy(update={"rate_limit_storage": url}))
        async with application.router.lifespan_context(application):
            transport = httpx.ASGITransport(app=application)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
                ready = await c.get("/readyz")
        assert ready.status_code == status, ready.text
        if status == 503:
            assert set(ready.json()["error"]["fields"]) == {"redis"}
        else:
            assert ready.json()["redis"] == "ok"


async def test_readyz_names_an_unreachable_database(tmp_path):
    settings = Settings(
        database_url="postgresql+asyncpg://postgres@127.0.0.1:1/nowhere",
        secret_key="test-secret",
        mail_dir=tmp_path,
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            ready = await c.get("/readyz")
    assert ready.status_code == 503
    assert set(ready.json()["error"]["fields"]) == {"database"}
