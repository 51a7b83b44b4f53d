"""The platform shell: health, OpenAPI, security headers, error pages, languages, static files."""

import asyncio
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from core.migrate import downgrade, upgrade

pytestmark = pytest.mark.asyncio


async def test_health_and_readiness(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == "ok"


async def test_openapi_documents_operations_with_models(client):
    spec = (await client.get("/openapi.json")).json()
    register = spec["paths"]["/api/v1/auth/register"]["post"]
    schema_ref = register["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    name = schema_ref.rsplit("/", 1)[1]
    props = spec["components"]["schemas"][name]["properties"]
    assert {"email", "password", "name", "role", "organization"} <= set(props)
    assert "/api/v1/organizations/{id}/verify" in spec["paths"]


async def test_security_headers_on_every_response(client):
    for path in ("/", "/api/v1/organizations", "/no-such-page"):
        response = await client.get(path)
        csp = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"]


async def test_html_404_page_is_friendly(client):
    response = await client.get("/no-such-page")
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
    assert "Page not found" in response.text


async def test_accept_language_picks_chinese_and_switch_overrides(client):
    page = await client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
    assert 'lang="zh-Hans"' in page.text
    assert "登录" in page.text
    token = client.cookies["csrftoken"]
    await client.post("/language", data={"csrftoken": token, "locale": "en", "next": "/login"})
    page = await client.get("/login", headers={"Accept-Language": "zh-CN"})
    assert 'lang="en"' in page.text
    assert "Sign in" in page.text


async def test_static_files_have_hashed_names_and_long_cache(client):
    page = await client.get("/login")
    import re

    css = re.search(r'href="(/static/css/app\.[0-9a-f]{10}\.css)"', page.text).group(1)
    response = await client.get(css)
    assert response.status_code == 200
    assert "immutable" in response.headers["cache-control"]
    htmx = re.search(r'src="(/static/vendor/htmx/htmx\.min\.[0-9a-f]{10}\.js)"', page.text)
    assert htmx is not None


async def test_responses_are_gzip_compressed(client):
    response = await client.get("/register", headers={"Accept-Encoding": "gzip"})
    assert response.headers.get("content-encoding") == "gzip"


async def test_migrations_upgrade_and_downgrade_a_fresh_database(tmp_path):
    import os

    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        from tests.conftest import _ensure_pg_database, _reset_pg_schema

        url = url.rsplit("/", 1)[0] + "/" + url.rsplit("/", 1)[1] + "_migrations"
        await _ensure_pg_database(url)
        await _reset_pg_schema(url)
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    await asyncio.to_thread(upgrade, url)
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert {"users", "organizations", "audit_log", "outbox", "needs", "tasks"} <= tables
    await engine.dispose()
    await asyncio.to_thread(downgrade, url, "base")
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert tables <= {"alembic_version"}
    await engine.dispose()


async def test_unexpected_error_gives_friendly_500_page(app):
    import httpx
    from starlette.routing import Route

    async def broken(request):
        raise RuntimeError("boom")

    app.router.routes.insert(0, Route("/broken", broken))
    app.router.routes.insert(0, Route("/api/v1/broken", broken))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        page = await c.get("/broken")
        assert page.status_code == 500
        assert "Something went wrong" in page.text and "boom" not in page.text
        data = await c.get("/api/v1/broken")
        assert data.status_code == 500
        assert data.json()["error"]["code"] == "server_error"


async def test_multipart_form_posts_are_csrf_checked(app, client):
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    async def upload(request):
        async with request.form() as form:
            return PlainTextResponse(f"{form['note']}:{len(await form['file'].read())}")

    app.router.routes.insert(0, Route("/upload-test", upload, methods=["POST"]))
    await client.get("/login")
    token = client.cookies["csrftoken"]
    files = {"file": ("scan.pdf", b"%PDF-1.4 receipt", "application/pdf")}
    ok = await client.post("/upload-test", data={"csrftoken": token, "note": "hi"}, files=files)
    assert ok.status_code == 200 and ok.text == "hi:16"
    forged = await client.post(
        "/upload-test", data={"csrftoken": "forged", "note": "x"}, files=files
    )
    assert forged.status_code == 403
    missing = await client.post("/upload-test", data={"note": "x"}, files=files)
    assert missing.status_code == 403


async def test_multipart_csrf_check_closes_the_parts_it_buffered(app, client, monkeypatch):
    """The CSRF check parses the whole upload for its token; the parts it buffered (a file
    past 1 MiB goes to a temporary file) are closed and their files removed at once."""
    from python_multipart import multipart
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    made = []

    class Recorded(multipart.File):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    async def upload(request):
        async with request.form() as form:
            return PlainTextResponse(str(len(await form["file"].read())))

    app.router.routes.insert(0, Route("/upload-test", upload, methods=["POST"]))
    await client.get("/login")
    token = client.cookies["csrftoken"]
    monkeypatch.setattr(multipart, "File", Recorded)
    big = b"%PDF-1.4 " + b"0" * (2 * 1024 * 1024)
    for content in (b"%PDF-1.4 small", big):
        files = {"file": ("scan.pdf", content, "application/pdf")}
        ok = await client.post("/upload-test", data={"csrftoken": token}, files=files)
        assert ok.status_code == 200 and ok.text == str(len(content))
    assert len(made) == 2 and all(f.file_object.closed for f in made)
    on_disk = [f for f in made if f.in_memory is False]
    assert len(on_disk) == 1
    # The temporary file's directory entry is gone (a closed NamedTemporaryFile deletes it).
    assert on_disk[0].actual_file_name.decode() not in {
        str(p) for p in await asyncio.to_thread(lambda: list(Path(tempfile.gettempdir()).iterdir()))
    }


async def test_a_safe_request_without_the_token_cookie_signs_a_token_only_when_asked(client):
    """The lazy path answers as asgi-csrf did: a page with a form sets the cookie (and Vary:
    Cookie) holding the token the form carries; a shared page sets no cookie at all."""
    import re

    form = await client.get("/login")
    cookie = form.headers.get("set-cookie", "")
    found = re.fullmatch(r"csrftoken=([^;]+); Path=/; SameSite=Lax", cookie)
    assert found, cookie
    assert "Cookie" in [v.strip() for v in form.headers["vary"].split(",")]
    assert f'value="{found.group(1)}"' in form.text
    client.cookies.clear()
    shared = await client.get("/needs")
    assert shared.status_code == 200
    assert "set-cookie" not in shared.headers
    # The token the lazy path signed is one asgi-csrf accepts on a post.
    client.cookies.set("csrftoken", found.group(1))
    posted = await client.post(
        "/login", data={"csrftoken": found.group(1), "email": "nobody@example.org", "password": "x"}
    )
    assert posted.status_code != 403


async def test_an_api_request_is_matched_against_its_first_segment_s_routes(
    app, client, monkeypatch
):
    """/api/v1 holds about seventy routes; trying each regular expression on every call was
    a few per cent of a sign-up's CPU. An unknown path answers as before."""
    from starlette.routing import Mount, Route

    (api,) = [r for r in app.routes if isinstance(r, Mount) and r.name == "api"]
    plain = [r.path for r in api.routes if isinstance(r, Route) and "{" not in r.path]
    last = [p for p in plain if p.split("/")[1] != plain[0].split("/")[1]][-1]
    tried = []
    matches = Route.matches

    def counting(self, scope):
        tried.append(self.path)
        return matches(self, scope)

    monkeypatch.setattr(Route, "matches", counting)
    await client.get("/api/v1" + last)
    assert last in tried and len(tried) < len(api.routes) / 3, (len(tried), len(api.routes))
    monkeypatch.setattr(Route, "matches", matches)
    assert (await client.get("/api/v1/no-such-thing")).status_code == 404
