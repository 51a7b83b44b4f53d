"""More bad input: 10 MB bodies, RTL and emoji text, markup and SQL shown back escaped,
broken and non-UTF-8 uploads; each counts the rows before and after (both engines)."""

import io
import json
import zipfile

import pytest

from tests.core.test_bad_input import row_counts, world  # noqa: F401 - the fixture

pytestmark = pytest.mark.asyncio

TEN_MB = 10 * 1024 * 1024
SCRIPT = "<script>alert(1)</script>"
SQL = "x'); DROP TABLE needs; -- OR 1=1"


async def test_ten_megabyte_json_body_is_413_and_writes_nothing(app, client, world):  # noqa: F811
    body = json.dumps(world.need(description="a" * TEN_MB)).encode()
    before = await row_counts(app)
    response = await client.post(
        "/api/v1/needs",
        content=body,
        headers={**world.headers["official"], "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"]
    assert await row_counts(app) == before


@pytest.mark.parametrize(("size", "status"), [(TEN_MB, 422), (21 * 1024 * 1024, 413)])
async def test_large_uploads_are_refused_and_write_nothing(app, client, world, size, status):  # noqa: F811
    """Spreadsheets may be up to 20 MB: a 10 MB file of one column is refused for what it
    holds (naming the file), a 21 MB one for its size."""
    before = await row_counts(app)
    response = await client.post(
        "/api/v1/needs/import",
        data={"incident_id": str(world.ids["incident"])},
        files={"file": ("needs.csv", b"title\n" + b"a" * size, "text/csv")},
        headers=world.headers["official"],
    )
    assert response.status_code == status, response.text
    if status == 422:
        assert "file" in response.json()["error"]["fields"]
    assert await row_counts(app) == before


RTL_EMOJI = "مأوى للعائلات 🏠🌊 שלום"


async def test_rtl_and_emoji_text_is_kept_and_shown_back(client, world):  # noqa: F811
    posted = await client.post(
        "/api/v1/needs", json=world.need(title=RTL_EMOJI), headers=world.headers["official"]
    )
    assert posted.status_code == 201, posted.text
    need_id = posted.json()["id"]
    assert (await client.get(f"/api/v1/needs/{need_id}")).json()["title"] == RTL_EMOJI
    page = await client.get(f"/needs/{need_id}")
    assert page.status_code == 200 and RTL_EMOJI in page.text


# Text fields written through the API and shown on a public page afterwards.
SHOWN = [
    ("official", "/api/v1/needs", "need", "title", "/needs/{id}"),
    ("official", "/api/v1/needs", "need", "description", "/needs/{id}"),
    ("official", "/api/v1/needs", "need", "unit", "/needs/{id}"),
    ("official", "/api/v1/projects", "project", "title", "/projects/{id}"),
    ("official", "/api/v1/projects", "project", "description", "/projects/{id}"),
    ("official", "/api/v1/incidents", "incident", "name", "/incidents/{id}"),
    ("official", "/api/v1/incidents", "incident", "description", "/incidents/{id}"),
    ("ngo", "/api/v1/shifts", "shift", "title", "/volunteers/shifts/{id}"),
    ("ngo", "/api/v1/shifts", "shift", "description", "/volunteers/shifts/{id}"),
    ("ngo", "/api/v1/shifts", "shift", "location", "/volunteers/shifts/{id}"),
    ("official", "/api/v1/projects/{project}/tasks", "task", "title", "/tasks/{id}"),
]


@pytest.mark.parametrize(("who", "path", "builder", "field", "page"), SHOWN)
@pytest.mark.parametrize("payload", [SCRIPT, SQL], ids=["script", "sql"])
async def test_markup_and_sql_are_stored_as_text_and_shown_escaped(
    app,
    client,
    world,  # noqa: F811
    who,
    path,
    builder,
    field,
    page,
    payload,
):
    before = await row_counts(app)
    body = getattr(world, builder)(**{field: payload})
    posted = await client.post(path.format(**world.ids), json=body, headers=world.headers[who])
    assert posted.status_code == 201, posted.text
    assert posted.json().get(field, payload) == payload
    after = await row_counts(app)
    assert sum(after.values()) > sum(before.values())  # written, as text, every table intact
    assert set(after) == set(before)
    shown = await client.get(page.format(id=posted.json()["id"], **world.ids))
    assert shown.status_code == 200
    assert SCRIPT not in shown.text
    if payload == SCRIPT:
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown.text


def _xlsx_broken() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<not really a workbook")
    return buffer.getvalue()


BROKEN = [
    ("non-utf8-csv", "needs.csv", b"title,category\n" + b"\xff\xfe\xfa,shelter\n"),
    ("latin1-csv", "needs.csv", "title,category\nCafé,shelter\n".encode("latin-1")),
    ("binary-as-csv", "needs.csv", bytes(range(256)) * 4),
    ("empty-csv", "needs.csv", b""),
    ("broken-xlsx", "needs.xlsx", _xlsx_broken()),
    ("truncated-xlsx", "needs.xlsx", b"PK\x03\x04" + b"\x00" * 40),
    ("text-as-xlsx", "needs.xlsx", b"title,category\nTents,shelter\n"),
]


@pytest.mark.parametrize(("name", "filename", "content"), BROKEN, ids=[b[0] for b in BROKEN])
async def test_broken_uploads_are_refused_naming_the_file(
    app,
    client,
    world,  # noqa: F811
    name,
    filename,
    content,
):
    before = await row_counts(app)
    response = await client.post(
        "/api/v1/needs/import",
        data={"incident_id": str(world.ids["incident"])},
        files={"file": (filename, content, "application/octet-stream")},
        headers=world.headers["official"],
    )
    assert 400 <= response.status_code < 500, response.text
    error = response.json()["error"]
    assert "file" in error["fields"], error
    assert await row_counts(app) == before
