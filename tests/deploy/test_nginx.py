"""Two web workers on PostgreSQL behind a local nginx run from platform/deploy/nginx.conf:
a public page, a static file's headers, the micro-cache, and live updates through it."""

import asyncio
import os
import re
import shutil
import subprocess

import httpx
import pytest

from core.settings import ROOT
from core.web import static_path
from tests.live import EventReader, demo_workers, free_port, fresh_pg_database

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
DEPLOY = ROOT / "platform" / "deploy"
# Started by root (as in CI), nginx's workers would run as nobody, who cannot enter pytest's
# private temporary folder; in production the run directory belongs to nginx's user.
_GLOBALS = "daemon on;" + (" user root;" if os.geteuid() == 0 else "")


@pytest.fixture(scope="module")
def behind_nginx(tmp_path_factory):
    if not os.path.exists(NGINX):
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs nginx (apt-get install nginx)")
        pytest.skip("nginx not installed (apt-get install nginx)")
    test_url = os.environ.get("TEST_DATABASE_URL")
    if not test_url:
        pytest.skip("several web workers need PostgreSQL (TEST_DATABASE_URL)")
    folder = tmp_path_factory.mktemp("nginx")
    url = fresh_pg_database(test_url + "_nginx")
    with demo_workers(url, folder, count=2) as bases:
        port = free_port()
        values = {
            "@@RUN_DIR@@": str(folder),
            "@@CONF_DIR@@": str(folder),
            "@@ROOT@@": str(ROOT),
            "@@LISTEN@@": f"127.0.0.1:{port}",
            "@@UPSTREAMS@@": " ".join(f"server {b.removeprefix('http://')};" for b in bases),
        }
        for name in ("nginx.conf", "commons-locations.conf"):
            text = (DEPLOY / name).read_text()
            for key, value in values.items():
                text = text.replace(key, value)
            assert not re.search("@@[A-Z_]+@@", text), name
            (folder / name).write_text(text)
        config = str(folder / "nginx.conf")
        check = subprocess.run(
            [NGINX, "-t", "-c", config, "-p", str(folder), "-g", _GLOBALS], capture_output=True
        )
        assert check.returncode == 0, check.stderr.decode()
        subprocess.run(
            [NGINX, "-c", config, "-p", str(folder), "-g", _GLOBALS], check=True, timeout=30
        )
        try:
            yield f"http://127.0.0.1:{port}", bases
        finally:
            subprocess.run([NGINX, "-c", config, "-p", str(folder), "-s", "stop"], timeout=30)


def test_public_page_comes_through_nginx(behind_nginx):
    base, _ = behind_nginx
    response = httpx.get(f"{base}/", timeout=10)
    assert response.status_code == 200
    assert "Riverside Floods 2026" in response.text
    # HTML carries a CSRF cookie: never stored by the micro-cache.
    again = httpx.get(f"{base}/", timeout=10)
    assert again.headers.get("x-cache-status") != "HIT"


def test_static_files_are_served_by_nginx_with_immutable_headers_and_gzip(behind_nginx):
    base, _ = behind_nginx
    response = httpx.get(
        f"{base}{static_path('css/app.css')}", headers={"Accept-Encoding": "gzip"}, timeout=10
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["content-encoding"] == "gzip"
    assert response.text == (ROOT / "static" / "css" / "app.css").read_text()


def test_public_cacheable_answers_are_micro_cached(behind_nginx):
    base, _ = behind_nginx
    incidents = httpx.get(f"{base}/api/v1/incidents", timeout=10).json()["items"]
    path = f"/incidents/{incidents[0]['id']}/map.svg"
    first = httpx.get(f"{base}{path}", timeout=10)
    second = httpx.get(f"{base}{path}", timeout=10)
    assert first.status_code == second.status_code == 200
    assert "public" in second.headers["cache-control"]
    assert second.headers["x-cache-status"] == "HIT"


def test_the_signed_out_dashboard_is_micro_cached_by_nginx(behind_nginx):
    base, _ = behind_nginx
    incidents = httpx.get(f"{base}/api/v1/incidents", timeout=10).json()["items"]
    path = f"/incidents/{incidents[0]['id']}"
    first = httpx.get(f"{base}{path}", timeout=10)
    second = httpx.get(f"{base}{path}", timeout=10)
    assert first.status_code == second.status_code == 200
    # No visitor's token and no cookie in it: nginx may serve it to every signed-out visitor.
    assert "set-cookie" not in first.headers and "public" in first.headers["cache-control"]
    assert second.headers["x-cache-status"] == "HIT" and second.text == first.text


@pytest.mark.asyncio
async def test_live_updates_stream_through_nginx_from_a_write_on_the_other_worker(
    behind_nginx,
):
    base, workers = behind_nginx
    async with httpx.AsyncClient(timeout=10) as client:
        incidents = (await client.get(f"{base}/api/v1/incidents")).json()["items"]
        incident_id = incidents[0]["id"]
        token = (
            await client.post(
                f"{workers[1]}/api/v1/auth/token",
                json={"email": "official@demo.recovery.local", "password": "demo-password"},
            )
        ).json()["access_token"]
        async with client.stream("GET", f"{base}/incidents/{incident_id}/events") as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            stream = EventReader(response)
            _, first = await stream.next("figures")
            need = {
                "incident_id": incident_id,
                "title": "Water filters",
                "category": "water_sanitation",
                "quantity": 5,
                "unit": "filters",
                "priority": "high",
                "needed_by": "2030-01-01",
                "lat": 30.6,
                "lon": 114.3,
            }
            for worker in workers:  # whichever worker nginx gave the stream, one is the other
                created = await client.post(
                    f"{worker}/api/v1/needs",
                    json=need,
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert created.status_code == 201, created.text
            _, update = await asyncio.wait_for(stream.next("figures"), 5)
            assert update["needs"]["total"] > first["needs"]["total"]
