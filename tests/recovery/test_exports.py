"""Open data: HXL-tagged CSV read by libhxl, the JSON twins, filters and the data page."""

import io
import json

import hxl
import pytest
from sqlalchemy import func, select

from recovery.models import Need, Project, Task
from recovery.service import exports

pytestmark = pytest.mark.asyncio

NEED_TAGS = ["#meta+id", "#sector", "#adm1+name", "#geo+lat", "#geo+lon", "#status"]
THREE_W_TAGS = ["#org+name", "#sector", "#adm1+name", "#geo+lat", "#status", "#activity+name"]


def read_hxl(content: bytes) -> hxl.model.Dataset:
    return hxl.data(hxl.input.make_input(io.BytesIO(content)))


async def test_needs_csv_is_hxl_with_a_row_per_need(client, db, seeded):
    response = await client.get(f"/api/v1/export/needs.csv?incident_id={seeded.incident.id}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert "creativecommons.org/licenses/by/4.0" in response.headers["link"]
    lines = response.text.splitlines()
    assert lines[0].startswith("Need ID,")
    assert lines[1].startswith("#meta+id,")

    data = read_hxl(response.content)
    tags = [column.display_tag for column in data.columns]
    for tag in NEED_TAGS:
        assert tag in tags
    rows = list(data)
    total = await db.scalar(select(func.count()).where(Need.incident_id == seeded.incident.id))
    assert len(rows) == total == 30
    first = rows[0]
    need = seeded.needs[0]
    assert int(first.get("#meta+id")) == need.id
    assert first.get("#sector") == need.category
    assert first.get("#adm1+name") == "Riverside County"
    assert first.get("#loc+name") == "Riverside County"
    assert float(first.get("#geo+lat")) == pytest.approx(need.lat)
    assert first.get("#status") == need.status
    second = rows[1]
    assert second.get("#adm1+name") == "Riverside County"
    assert second.get("#loc+name") == "Willow Township"


async def test_needs_csv_without_filter_covers_every_incident(client, seeded):
    data = read_hxl((await client.get("/api/v1/export/needs.csv")).content)
    names = {row.get("#crisis+name") for row in data}
    assert names == {"Riverside floods", "Hill landslide"}


async def test_3w_csv_is_hxl_who_does_what_where(client, db, seeded):
    response = await client.get(f"/api/v1/export/3w.csv?incident_id={seeded.incident.id}")
    assert response.status_code == 200
    data = read_hxl(response.content)
    tags = [column.display_tag for column in data.columns]
    for tag in THREE_W_TAGS:
        assert tag in tags
    rows = list(data)
    projects = await db.scalar(select(func.count()).select_from(Project))
    tasks = await db.scalar(select(func.count()).select_from(Task))
    assert len(rows) == projects + tasks == 10
    leads = [r for r in rows if r.get("#org+role") == "lead"]
    assert {r.get("#org+name") for r in leads} == {
        "Riverside Recovery Office",
        "Harbour Builders",
        "Riverside Red Cross",
    }
    task_rows = [r for r in rows if r.get("#org+role") == "responsible"]
    assert {r.get("#status") for r in task_rows} == {"in_progress", "blocked", "todo", "done"}
    assert all(r.get("#adm1+name") == "Riverside County" for r in rows)
    assert all(r.get("#loc+name") == "Willow Township" for r in rows)
    assert all(float(r.get("#geo+lat")) == pytest.approx(30.55) for r in rows)


async def test_json_exports_have_the_csv_fields_and_paginate(client, seeded):
    csv_header = (await client.get("/api/v1/export/needs.csv")).text.splitlines()[0]
    first = await client.get("/api/v1/export/needs.json?limit=10")
    body = first.json()
    assert body["total"] == 31 and len(body["items"]) == 10
    assert body["licence"] == "CC-BY-4.0"
    assert len(body["items"][0]) == len(csv_header.split(","))
    rest = (await client.get("/api/v1/export/needs.json?limit=100&offset=10")).json()
    ids = [i["need_id"] for i in body["items"] + rest["items"]]
    assert ids == sorted(ids) and len(set(ids)) == 31

    three_w = await client.get(f"/api/v1/export/3w.json?incident_id={seeded.incident.id}")
    items = three_w.json()["items"]
    assert three_w.json()["total"] == len(items) == 10
    assert {"organization", "sector", "adm1", "lat", "activity", "status"} <= set(items[0])


async def test_exports_refuse_bad_filters_with_json_errors(client, seeded):
    missing = await client.get("/api/v1/export/needs.csv?incident_id=9999")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "incident_not_found"
    bad = await client.get("/api/v1/export/3w.json?incident_id=abc")
    assert bad.status_code == 422
    assert "incident_id" in bad.json()["error"]["fields"]
    too_many = await client.get("/api/v1/export/needs.json?limit=100000")
    assert too_many.status_code == 422


async def test_exports_are_documented_in_openapi(client):
    paths = (await client.get("/openapi.json")).json()["paths"]
    for path in ("needs.csv", "needs.json", "needs.hxl.json", "3w.csv", "3w.json", "3w.hxl.json"):
        assert f"/api/v1/export/{path}" in paths


async def test_data_page_lists_exports_licence_and_dictionary(client, seeded):
    response = await client.get("/data")
    assert response.status_code == 200
    text = response.text
    assert "CC BY 4.0" in text and "https://creativecommons.org/licenses/by/4.0/" in text
    for tag in NEED_TAGS + THREE_W_TAGS:
        assert tag in text
    assert f"/api/v1/export/needs.csv?incident_id={seeded.incident.id}" in text
    assert "/api/v1/export/3w.json" in text
    assert f"/api/v1/export/3w.hxl.json?incident_id={seeded.incident.id}" in text


async def test_csv_cells_that_would_run_as_spreadsheet_formulas_are_quoted(app, client, seeded):
    async with app.state.database.transaction() as session:
        need = await session.get(Need, seeded.needs[0].id)
        need.title = '=HYPERLINK("http://evil.example","click")'
    data = read_hxl((await client.get("/api/v1/export/needs.csv")).content)
    rows = {int(row.get("#meta+id")): row for row in data}
    assert rows[need.id].get("#item+name") == "'" + need.title
    # Numbers stay numbers, negative or not.
    assert float(rows[need.id].get("#geo+lon")) == pytest.approx(need.lon)
    json_items = (await client.get("/api/v1/export/needs.json?limit=1")).json()["items"]
    assert json_items[0]["title"] == need.title
    # The HXL JSON is no spreadsheet: its text stays exact.
    hxl_json = (await client.get("/api/v1/export/needs.hxl.json")).json()
    assert hxl_json[2][0] == need.id and hxl_json[2][3] == need.title


@pytest.mark.parametrize(("dataset", "csv_path"), [("needs", "needs.csv"), ("3w", "3w.csv")])
async def test_hxl_json_is_the_whole_csv_table_as_arrays(client, seeded, dataset, csv_path):
    query = f"?incident_id={seeded.incident.id}"
    response = await client.get(f"/api/v1/export/{dataset}.hxl.json{query}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    disposition = response.headers["content-disposition"]
    assert f"incident-{seeded.incident.id}-{dataset}.hxl.json" in disposition
    assert "creativecommons.org/licenses/by/4.0" in response.headers["link"]
    table = response.json()
    columns = exports.DATASETS[dataset][0]
    assert table[0] == [c.header for c in columns]
    assert table[1] == [c.hxl for c in columns]
    # libhxl reads it as it reads the CSV, row for row and cell for cell.
    from_json = read_hxl(response.content)
    from_csv = read_hxl((await client.get(f"/api/v1/export/{csv_path}{query}")).content)
    assert [c.display_tag for c in from_json.columns] == [c.display_tag for c in from_csv.columns]
    json_rows, csv_rows = [r.values for r in from_json], [r.values for r in from_csv]
    assert len(json_rows) == len(csv_rows) == len(table) - 2 > 0
    for json_row, csv_row in zip(json_rows, csv_rows, strict=True):
        assert [_number(v) for v in json_row] == [_number(v) for v in csv_row]


def _number(value: str):
    # The CSV writes floats through str(); JSON keeps their shortest form: compare as numbers.
    try:
        return float(value)
    except ValueError:
        return value


async def test_whole_exports_stream_in_batches_and_have_no_page_limit(app, seeded):
    """Every row comes out in batches from one cursor, past the paged JSON's 10,000 cap."""
    async with app.state.database.session(write=False) as session:
        total = await exports.count_rows(session, "needs", None)
        json_chunks = [c async for c in exports.json_chunks(session, "needs", None, batch=7)]
        csv_chunks = [c async for c in exports.csv_chunks(session, "needs", None, batch=7)]
    # The opening (headers and hashtags), one chunk per batch of 7, and the closing.
    assert len(json_chunks) == 1 + -(-total // 7) + 1
    assert len(csv_chunks) == 1 + -(-total // 7)
    table = json.loads(b"".join(json_chunks))
    ids = [row[0] for row in table[2:]]
    assert ids == sorted(ids) and len(set(ids)) == total == 31
    assert b"".join(csv_chunks).count(b"\r\n") == total + 2


async def test_whole_exports_refuse_an_unknown_incident_before_any_byte(client, seeded):
    for path in ("needs.hxl.json", "3w.hxl.json"):
        missing = await client.get(f"/api/v1/export/{path}?incident_id=9999")
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "incident_not_found"
        bad = await client.get(f"/api/v1/export/{path}?incident_id=x")
        assert bad.status_code == 422 and "incident_id" in bad.json()["error"]["fields"]
