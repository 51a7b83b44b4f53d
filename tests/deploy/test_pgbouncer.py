"""COMMONS_PGBOUNCER against a local PgBouncer in transaction mode: the app's queries work
while every transaction may land on another server connection."""

import asyncio
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from core.db import Database
from core.settings import ROOT, Settings
from tests.live import free_port

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"

pytestmark = pytest.mark.asyncio


@pytest.fixture
def bouncer_url():
    if not os.path.exists(PGBOUNCER):
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs PgBouncer (apt-get install pgbouncer)")
        pytest.skip("PgBouncer not installed (apt-get install pgbouncer)")
    test_url = os.environ.get("TEST_DATABASE_URL")
    if not test_url:
        pytest.skip("PgBouncer sits in front of PostgreSQL (TEST_DATABASE_URL)")
    target = make_url(test_url)
    port = free_port()
    shipped = (ROOT / "platform" / "deploy" / "pgbouncer.ini").read_text()
    assert "pool_mode = transaction" in shipped
    # Outside pytest's private temporary folder: PgBouncer runs as the postgres user.
    tmp_path = Path(tempfile.mkdtemp(prefix="commons-pgbouncer-"))
    os.chmod(tmp_path, 0o777)
    (tmp_path / "userlist.txt").write_text(f'"{target.username}" ""\n')
    (tmp_path / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"{target.database} = host={target.host or '127.0.0.1'} port={target.port or 5432}"
        f" dbname={target.database}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\n"
        f"auth_type = trust\nauth_file = {tmp_path / 'userlist.txt'}\n"
        "pool_mode = transaction\ndefault_pool_size = 2\n"
        "ignore_startup_parameters = extra_float_digits,application_name\n"
        f"unix_socket_dir =\nlogfile = {tmp_path / 'pgbouncer.log'}\n"
    )
    for path in tmp_path.iterdir():
        os.chmod(path, 0o666)
    command = [PGBOUNCER, str(tmp_path / "pgbouncer.ini")]
    if os.geteuid() == 0:
        command[1:1] = ["-u", "postgres"]  # it refuses to run as root
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with __import__("socket").create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        yield target.set(host="127.0.0.1", port=port).render_as_string(False)
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(tmp_path, ignore_errors=True)


async def test_app_queries_work_through_pgbouncer_in_transaction_mode(bouncer_url, migrated_url):
    database = Database(Settings(database_url=bouncer_url, pgbouncer=True))
    try:

        async def one(n: int) -> int:
            async with database.transaction() as session:
                # The same parameterised statement again and again, from many transactions
                # sharing two server connections: named prepared statements would collide.
                return await session.scalar(text("SELECT CAST(:n AS integer) + 1"), {"n": n})

        results = await asyncio.gather(*(one(n) for n in range(60)))
        assert results == [n + 1 for n in range(60)]
        async with database.session(write=False) as session:
            tables = await session.scalar(
                text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            )
        assert tables > 10
    finally:
        await database.dispose()
