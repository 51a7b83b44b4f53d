"""Test fixtures: migrate once per session, a clean database per test, the app with lifespan."""

import asyncio
import os
import re
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime

# argon2 at its cheapest under test (production cost is a setting); read before any hashing.
os.environ.setdefault("COMMONS_PASSWORD_TIME_COST", "1")
os.environ.setdefault("COMMONS_PASSWORD_MEMORY_COST", "8")
os.environ.setdefault("COMMONS_PASSWORD_PARALLELISM", "1")

import asyncpg
import httpx
import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from core import clock, fonts
from core.accounts.schemas import RegisterRequest
from core.accounts.service import register, verify_organization
from core.app import create_app
from core.auth import hash_password, new_token
from core.migrate import upgrade
from core.models import ApiToken, Organization, OrgStatus, Role, User
from core.settings import Settings

PASSWORD = "correct horse battery"
# Each pytest-xdist worker gets its own PostgreSQL database (and derived ones): test_gw0, ...
if os.environ.get("TEST_DATABASE_URL") and os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["TEST_DATABASE_URL"] += "_" + os.environ["PYTEST_XDIST_WORKER"]
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
# Every test starts at this instant, whatever the host's clock says (10:00 in Asia/Shanghai,
# so UTC and the incidents' local calendars agree); the clock runs on from there. Set at
# import too, since test modules compute dates when they are collected.
TEST_START = datetime(2026, 3, 16, 2, 0, tzinfo=UTC)
clock.set_clock(TEST_START, ticking=True)


@pytest.fixture(autouse=True)
def test_clock():
    clock.set_clock(TEST_START, ticking=True)
    yield clock
    clock.set_clock(TEST_START, ticking=True)


@pytest.fixture(scope="session", autouse=True)
def cjk_font_cut(tmp_path_factory):
    """The small CJK font (core.fonts) cut before the first test, so every PDF a test writes
    uses it. It is kept where `commons serve` keeps it, so it is cut once per machine; the
    xdist workers that start together take turns on its lock, and only the first cuts it.
    Without a writable home cache, one shared by this run's workers (and by servers the
    tests start) under the base temporary directory's parent."""
    try:
        fonts.CACHE_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
        writable = os.access(fonts.CACHE_DIR, os.W_OK)
    except OSError:
        writable = False
    if not writable:
        cache = tmp_path_factory.getbasetemp().parent / "cache"
        os.environ["XDG_CACHE_HOME"] = str(cache)
        fonts.CACHE_DIR = cache / "recovery-commons"
    return fonts.prepare()


async def _ensure_pg_database(url: str) -> None:
    parsed = make_url(url)
    admin_dsn = parsed.set(drivername="postgresql", database="postgres").render_as_string(False)
    conn = await asyncpg.connect(admin_dsn)
    try:
        exists = await conn.fetchval(
            "SELECT 1 FROM pg_database WHERE datname = $1", parsed.database
        )
        if not exists:
            await conn.execute(f'CREATE DATABASE "{parsed.database}"')
    finally:
        await conn.close()


async def _reset_pg_schema(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest_asyncio.fixture(scope="session")
async def migrated_url(tmp_path_factory) -> AsyncIterator[str]:
    """Migrations run once per session, on PostgreSQL when TEST_DATABASE_URL says so."""
    if TEST_DATABASE_URL:
        await _ensure_pg_database(TEST_DATABASE_URL)
        await _reset_pg_schema(TEST_DATABASE_URL)
        await asyncio.to_thread(upgrade, TEST_DATABASE_URL)
        yield TEST_DATABASE_URL
        return
    path = tmp_path_factory.mktemp("db") / "template.db"
    url = f"sqlite+aiosqlite:///{path}"
    await asyncio.to_thread(upgrade, url)
    yield url


class _PgReset:
    """Empties every table and restarts every sequence between tests.

    DELETE with foreign-key triggers off takes milliseconds on the few rows a test writes,
    where TRUNCATE of every table costs a quarter of a second each time."""

    def __init__(self, url: str):
        self.dsn = make_url(url).set(drivername="postgresql").render_as_string(False)
        self.conn: asyncpg.Connection | None = None
        self.script = ""

    async def __call__(self) -> None:
        if self.conn is None:
            self.conn = await asyncpg.connect(self.dsn)
            tables = await self.conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'"
            )
            sequences = await self.conn.fetch(
                "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"
            )
            self.script = (
                "SET session_replication_role = replica;"
                + "".join(f'DELETE FROM "{row[0]}";' for row in tables)
                + "".join(f"SELECT setval('\"{row[0]}\"', 1, false);" for row in sequences)
                + "SET session_replication_role = DEFAULT;"
            )
        await self.conn.execute(self.script)

    async def close(self) -> None:
        if self.conn is not None:
            await self.conn.close()


@pytest_asyncio.fixture(scope="session")
async def pg_reset(migrated_url) -> AsyncIterator[_PgReset | None]:
    if not migrated_url.startswith("postgresql"):
        yield None
        return
    reset = _PgReset(migrated_url)
    yield reset
    await reset.close()


@pytest_asyncio.fixture
async def database_url(migrated_url, pg_reset, tmp_path) -> str:
    """A clean, migrated database for this test."""
    if pg_reset is not None:
        await pg_reset()
        return migrated_url
    source = re.sub(r"^sqlite\+aiosqlite:///", "", migrated_url)
    target = tmp_path / "test.db"
    shutil.copyfile(source, target)
    return f"sqlite+aiosqlite:///{target}"


@pytest.fixture
def settings(database_url, tmp_path) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key="test-secret",
        mail_dir=tmp_path / "mail",
        upload_dir=tmp_path / "uploads",
        login_failures_allowed=10,
        # Tests run jobs when they mean to (tests/core/test_jobs.py starts workers).
        jobs_in_process=False,
    )


@pytest_asyncio.fixture
async def app(settings):
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest_asyncio.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest_asyncio.fixture
async def db(app):
    """A write session for service tests; commits are the test's to make."""
    async with app.state.database.session() as session:
        yield session


class Factory:
    """Makes users (with verified organizations where their role needs one) and their tokens."""

    def __init__(self, app):
        self.app = app
        self.count = 0

    async def user(
        self,
        role: str = Role.volunteer,
        *,
        verified: bool = True,
        org: str | None = None,
        org_kind: str | None = None,
        email: str | None = None,
        name: str | None = None,
    ) -> User:
        self.count += 1
        email = email or f"{role}{self.count}@example.org"
        async with self.app.state.database.transaction() as session:
            if role == Role.admin:
                user = User(
                    email=email,
                    name=name or f"Admin {self.count}",
                    password_hash=await hash_password(PASSWORD),
                    role=Role.admin,
                )
                session.add(user)
                await session.flush()
                return user
            data = RegisterRequest(
                email=email,
                password=PASSWORD,
                name=name or f"{role.title()} {self.count}",
                role=role,
                organization=org or (f"Org {self.count}" if role in ("official", "ngo") else None),
                organization_kind=org_kind,
            )
            user, organization = await register(session, data)
            if organization is not None and verified and organization.status != OrgStatus.verified:
                admin = User(
                    email=f"verifier{self.count}@example.org",
                    name="Verifier",
                    password_hash="x",
                    role=Role.admin,
                )
                session.add(admin)
                await session.flush()
                await verify_organization(session, organization.id, admin=admin, valid_days=365)
            return user

    async def organization(self, user: User) -> Organization:
        async with self.app.state.database.session() as session:
            return await session.get(Organization, user.organization_id)

    async def lead(self, incident_id: int, user: User) -> None:
        """Make the user's agency the incident's lead agency, so its officials act on it."""
        from recovery.models import Incident

        async with self.app.state.database.transaction() as session:
            incident = await session.get(Incident, incident_id)
            incident.lead_org_id = user.organization_id

    async def token(self, user: User) -> dict[str, str]:
        token, token_hash = new_token()
        async with self.app.state.database.transaction() as session:
            session.add(ApiToken(user_id=user.id, token_hash=token_hash))
        return {"Authorization": f"Bearer {token}"}


@pytest_asyncio.fixture
async def factory(app) -> Factory:
    return Factory(app)


async def csrf_token(client: httpx.AsyncClient, path: str = "/login") -> str:
    """Load a page so the CSRF cookie is set, and return the token forms must send."""
    await client.get(path)
    return client.cookies["csrftoken"]


async def sign_in(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD
) -> httpx.Response:
    token = await csrf_token(client)
    return await client.post(
        "/login", data={"email": email, "password": password, "csrftoken": token}
    )
