"""`commons serve --workers 2` with PROMETHEUS_MULTIPROC_DIR: /metrics sums every worker,
and the access log is JSON lines carrying each response's request id."""

import asyncio
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.core.test_observability import value

pytestmark = pytest.mark.asyncio
ROOT = Path(__file__).resolve().parents[2]
TOKEN = "workers-metrics-token"
REQUESTS = 40


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _wait_ready(base: str, process: asyncio.subprocess.Process) -> None:
    async with httpx.AsyncClient() as client:
        # Two workers importing everything take a while on a busy two-core machine.
        for _ in range(900):
            if process.returncode is not None:
                raise RuntimeError("the server exited")
            try:
                if (await client.get(f"{base}/healthz", timeout=1)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("the server did not become ready")


async def _healthz_count(client: httpx.AsyncClient, base: str) -> float:
    scraped = await client.get(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert scraped.status_code == 200
    found = value(scraped.text, "commons_http_requests_total", route="/healthz", status="200")
    return found or 0


async def test_two_workers_report_one_sum_and_log_json(database_url, tmp_path):
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    # A stale sample from an earlier run: serve must not add it in.
    (metrics_dir / "counter_1.db").write_bytes(b"stale")
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "COMMONS_SECRET_KEY": "workers-secret",
        "COMMONS_MAIL_DIR": str(tmp_path / "mail"),
        "COMMONS_METRICS_TOKEN": TOKEN,
        "COMMONS_LOG_FORMAT": "json",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "core.cli", "serve", "--port", str(port), "--workers", "2"),
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        await _wait_ready(base, process)
        # A new connection per request, so the kernel spreads them over both workers; on
        # until both have answered some (their counter files say so).
        ids = []
        limits = httpx.Limits(max_keepalive_connections=0)
        async with httpx.AsyncClient(limits=limits) as client:
            before = await _healthz_count(client, base)
            while len(ids) < REQUESTS or len(list(metrics_dir.glob("counter_*.db"))) < 2:
                assert len(ids) < 10 * REQUESTS, "one worker answered every request"
                n = len(ids)
                response = await client.get(f"{base}/healthz", headers={"X-Request-ID": f"w-{n}"})
                assert response.status_code == 200
                ids.append(response.headers["x-request-id"])
            # Every scrape, whichever worker answers it, sees all workers' requests.
            for _ in range(6):
                assert await _healthz_count(client, base) == before + len(ids)
        assert ids == [f"w-{n}" for n in range(len(ids))]
        assert {p.name for p in metrics_dir.glob("counter_*.db")}.isdisjoint({"counter_1.db"})
        assert len(list(metrics_dir.glob("gauge_livesum_*.db"))) == 2
    finally:
        process.terminate()
        try:
            async with asyncio.timeout(30):
                await process.wait()
        except TimeoutError:
            process.kill()
            await process.wait()
            raise
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    access = {line.get("request_id"): line for line in lines if line["logger"] == "uvicorn.access"}
    for request_id in ids:
        assert access[request_id]["path"] == "/healthz"
        assert access[request_id]["status"] == 200
    assert all({"time", "level", "message"} <= set(line) for line in lines)
