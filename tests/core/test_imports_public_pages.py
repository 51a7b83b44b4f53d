"""A web worker serving the public pages never loads what only sign-ins, mail or reports need."""

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.cli import load_demo
from recovery.models import Incident, Need, Project
from tests.core.test_worker_imports import HEAVY
from volunteers.models import Shift

ROOT = Path(__file__).resolve().parents[2]
# On top of tests/core/test_worker_imports.py's list: loaded on first use, by a sign-in
# (argon2), a throttled form or search (limits), a mail sent (aiosmtplib), a report shown
# (markdown-it, nh3); and the command line's Typer, which a worker never runs.
FIRST_USE = ("argon2", "limits", "aiosmtplib", "markdown_it", "nh3", "typer")

# The shared pages of bench/load.py and the home page, called straight through ASGI: httpx
# (the tests' client) is one of the libraries a worker must not load.
SCRIPT = """
import asyncio, json, sys
from core.app import create_app

async def get(app, path):
    raw, _, query = path.partition("?")
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": raw, "raw_path": raw.encode(), "root_path": "",
        "query_string": query.encode(), "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000), "server": ("testserver", 80),
    }
    status = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        if message["type"] == "http.response.start":
            status.append(message["status"])

    await app(scope, receive, send)
    return status[0]

async def main(paths, names):
    app = create_app()
    async with app.router.lifespan_context(app):
        statuses = {path: await get(app, path) for path in paths}
    loaded = sorted(name for name in names if name in sys.modules)
    print(json.dumps({"statuses": statuses, "loaded": loaded}))

asyncio.run(main(json.loads(sys.argv[1]), json.loads(sys.argv[2])))
"""


@pytest.mark.asyncio
async def test_serving_the_public_pages_loads_none_of_the_first_use_libraries(settings, app):
    assert await load_demo(settings) is True
    async with app.state.database.session() as session:
        incident = await session.scalar(select(func.min(Incident.id)))
        need = await session.scalar(select(func.min(Need.id)))
        project = await session.scalar(select(func.min(Project.id)))
        shift = await session.scalar(select(func.min(Shift.id)))
    assert None not in (incident, need, project, shift)
    paths = [
        "/",
        f"/incidents/{incident}",
        f"/needs/{need}",
        f"/projects/{project}",
        f"/needs?incident_id={incident}",
        "/api/v1/needs?limit=40",
        f"/volunteers/shifts?incident_id={incident}",
        f"/volunteers/shifts/{shift}",
    ]
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "COMMONS_SECRET_KEY": settings.secret_key,
        "COMMONS_MAIL_DIR": str(settings.mail_dir),
        "COMMONS_JOBS_IN_PROCESS": "false",
    }
    out = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", SCRIPT, json.dumps(paths), json.dumps([*HEAVY, *FIRST_USE])],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found["statuses"] == dict.fromkeys(paths, 200)
    assert found["loaded"] == []


# As the `commons` console script is: a file whose import loads core.cli (with Typer).
SERVE = """
import multiprocessing, sys
from core.cli import _spawn_workers_bare
if __name__ == "__main__":
    if sys.argv[1] == "bare":
        _spawn_workers_bare()
    child = multiprocessing.get_context("spawn").Process(
        target=exec, args=("import sys; print(sorted({'core.cli', 'typer'} & set(sys.modules)))",)
    )
    child.start()
    child.join()
"""


@pytest.mark.parametrize(("mode", "loaded"), [("bare", "[]"), ("plain", "['core.cli', 'typer']")])
def test_spawned_web_workers_do_not_run_the_command_line_again(tmp_path, mode, loaded):
    script = tmp_path / "commons_serve.py"
    script.write_text(SERVE)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, str(script), mode], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == loaded
