"""Bulk import of needs: template, preview with every error, all-or-nothing, progress, audit."""

import csv
import io
from datetime import timedelta

import pytest
from lxml import html
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from core import clock
from core.models import Role
from recovery.models import Need
from recovery.service.imports import get_job, preview, run, start
from recovery.service.spreadsheets import COLUMNS
from tests.conftest import csrf_token, sign_in

pytestmark = pytest.mark.asyncio

SOON = (clock.today("Asia/Shanghai") + timedelta(days=14)).isoformat()


def csv_bytes(rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def xlsx_bytes(rows):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def good_row(i=1, area="Willow Village"):
    return (f"Tents batch {i}", "shelter", 10 + i, "tents", "high", SOON, area, "", "", "")


async def count_needs(db):
    return await db.scalar(select(func.count()).select_from(Need))


async def official_browser(client, factory):
    await factory.user(Role.official, org="Recovery Office", email="o@example.org")
    await sign_in(client, "o@example.org")
    return await csrf_token(client, "/manage/imports/new")


HEADINGS = (
    "Title *", "Category *", "Quantity *", "Unit *", "Priority *", "Needed by *", "Area",
    "Latitude", "Longitude", "Description",
)  # fmt: skip


async def test_templates_download_with_human_headings(client):
    response = await client.get("/manage/imports/template.csv")
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    header, example = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[:2]
    assert tuple(header) == HEADINGS
    assert example[1:5] == ["Shelter", "40", "tents", "High"]
    response = await client.get("/manage/imports/template.xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert tuple(c.value for c in sheet[1]) == HEADINGS
    chinese = await client.get("/manage/imports/template.csv", headers={"Accept-Language": "zh-CN"})
    header = next(csv.reader(io.StringIO(chinese.content.decode("utf-8-sig"))))
    assert header[0] == "标题 *" and all(not h.isascii() for h in header)
    assert (await client.get("/manage/imports/template.pdf")).status_code == 404


async def test_headings_and_words_in_either_language_and_any_case(db, setup):
    rows = [
        ("Tents", "Shelter", 10, "tents", "HIGH", SOON, "willow village", "", "", ""),
        ("Rice", "食品", 20, "bags", "中", SOON, "Willow Village", "", "", ""),
        ("Pumps", "water and sanitation", 3, "pumps", "critical", SOON, "", "30.6", "114.3", ""),
    ]
    for headings in (HEADINGS, [h.upper() for h in COLUMNS]):
        buffer = io.StringIO()
        csv.writer(buffer).writerows([headings, *rows])
        job = await preview(
            db,
            incident_id=setup.incident["id"],
            filename="n.csv",
            data=buffer.getvalue().encode(),
            actor=setup.official,
        )
        assert job.errors == [] and job.status == "ready"
        assert [(r["category"], r["priority"]) for r in job.rows] == [
            ("shelter", "high"),
            ("food", "medium"),
            ("water_sanitation", "critical"),
        ]


async def test_chinese_file_with_chinese_headings_gets_chinese_problems(client, factory, setup):
    token = await official_browser(client, factory)
    await client.post("/language", data={"csrftoken": token, "locale": "zh_Hans", "next": "/"})
    # The headings of the Chinese template, as an office would fill it in.
    template = await client.get("/manage/imports/template.csv")
    headings = next(csv.reader(io.StringIO(template.content.decode("utf-8-sig"))))
    assert headings[:2] == ["标题 *", "类别 *"]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(
        [
            headings,
            ["帐篷", "住所", 10, "顶", "高", SOON, "Willow Village", "", "", ""],
            ["棉被", "住房", 10, "床", "很高", SOON, "Willow Village", "", "", ""],
        ]
    )
    response = await client.post(
        "/manage/imports/new",
        data={"csrftoken": token, "incident_id": str(setup.incident["id"])},
        files={"file": ("n.csv", buffer.getvalue().encode(), "text/csv")},
    )
    page = html.fromstring((await client.get(response.headers["location"])).text)
    problems = [[td.text_content() for td in tr.xpath("td")] for tr in page.xpath("//tbody/tr")]
    assert problems[0][:2] == ["3", "类别"]
    assert problems[0][2].startswith("“住房”不是以下之一：住所")
    assert problems[1][:2] == ["3", "优先级"] and "很高" in problems[1][2]
    assert len(problems) == 2


async def test_a_csv_saved_by_chinese_excel_reads(client, factory, setup):
    # Excel on a Chinese system saves "CSV" in GB 18030, not UTF-8.
    token = await official_browser(client, factory)
    await client.post("/language", data={"csrftoken": token, "locale": "zh_Hans", "next": "/"})
    template = await client.get("/manage/imports/template.csv")
    headings = next(csv.reader(io.StringIO(template.content.decode("utf-8-sig"))))
    buffer = io.StringIO()
    csv.writer(buffer).writerows(
        [headings, ["帐篷", "住所", 10, "顶", "高", SOON, "Willow Village", "", "", ""]]
    )
    response = await client.post(
        "/manage/imports/new",
        data={"csrftoken": token, "incident_id": str(setup.incident["id"])},
        files={"file": ("n.csv", buffer.getvalue().encode("gb18030"), "text/csv")},
    )
    assert response.status_code == 303, response.text
    page = html.fromstring((await client.get(response.headers["location"])).text)
    shown = page.xpath("//table[@id='import-preview']/tbody/tr")
    assert [td.text_content().strip() for td in shown[0].xpath("td")][1] == "帐篷"


async def test_a_valid_file_shows_the_rows_that_will_be_written(client, factory, setup):
    token = await official_browser(client, factory)
    rows = [good_row(i) for i in range(60)]
    response = await client.post(
        "/manage/imports/new",
        data={"csrftoken": token, "incident_id": str(setup.incident["id"])},
        files={"file": ("n.csv", csv_bytes(rows), "text/csv")},
    )
    page = html.fromstring((await client.get(response.headers["location"])).text)
    shown = page.xpath("//table[@id='import-preview']/tbody/tr")
    assert len(shown) == 50
    first = [td.text_content().strip() for td in shown[0].xpath("td")]
    assert first[:6] == ["2", "Tents batch 0", "Shelter", "10 tents", "High", first[5]]
    assert first[6] == "Willow Village" and first[7] == "30.6300, 114.3300"
    assert "The first 50 of 60 rows." in page.text_content()


async def test_preview_reports_every_bad_row_and_writes_nothing(db, client, factory, setup):
    data = csv_bytes(
        [
            good_row(1),
            ("", "shelter", 0, "tents", "high", SOON, "Willow Village", "", "", ""),
            ("Water", "drinks", 5, "", "soon", "31/12/2026", "", "95", "10", ""),
            ("Food", "food", 5, "boxes", "low", SOON, "Atlantis", "", "", ""),
        ]
    )
    token = await official_browser(client, factory)
    response = await client.post(
        "/manage/imports/new",
        data={"csrftoken": token, "incident_id": str(setup.incident["id"])},
        files={"file": ("needs.csv", data, "text/csv")},
    )
    assert response.status_code == 303
    page = await client.get(response.headers["location"])
    assert "Nothing was saved" in page.text
    job_id = int(response.headers["location"].rsplit("/", 1)[1])
    job = await get_job(db, job_id)
    problems = {(e["row"], e["column"]) for e in job.errors}
    assert {(3, "title"), (3, "quantity")} <= problems
    assert {(4, "category"), (4, "unit"), (4, "priority"), (4, "needed_by"), (4, "lat")} <= problems
    assert (5, "area") in problems
    assert not any(row == 2 for row, _c in problems)
    assert await count_needs(db) == 0
    await db.rollback()  # end the test's own transaction before the app writes
    # An invalid preview cannot be run.
    refused = await client.post(f"/manage/imports/{job_id}/run", data={"csrftoken": token})
    assert refused.status_code == 409
    assert await count_needs(db) == 0


async def test_unreadable_files_are_refused_naming_the_file(client, factory, setup):
    token = await official_browser(client, factory)
    for name, content in (
        ("needs.txt", b"hello"),
        ("needs.xlsx", b"not a zip"),
        ("needs.csv", b"title,unit\nx,y\n"),
    ):
        response = await client.post(
            "/manage/imports/new",
            data={"csrftoken": token, "incident_id": str(setup.incident["id"])},
            files={"file": (name, content, "application/octet-stream")},
        )
        assert response.status_code == 422, name
        assert "e-file" in response.text


async def test_xlsx_import_runs_with_progress_and_is_audited(db, client, factory, setup):
    token = await official_browser(client, factory)
    rows = [good_row(i) for i in range(25)]
    rows.append(
        ("Water", "water_sanitation", 7, "tanks", "critical", SOON, "", "30.6", "114.3", "")
    )
    response = await client.post(
        "/manage/imports/new",
        data={"csrftoken": token, "incident_id": str(setup.incident["id"])},
        files={"file": ("needs.xlsx", xlsx_bytes(rows), "application/octet-stream")},
    )
    job_url = response.headers["location"]
    page = await client.get(job_url)
    assert "ready to import" in page.text and await count_needs(db) == 0
    await db.rollback()
    job_id = int(job_url.rsplit("/", 1)[1])
    # htmx: the run answers with a status fragment; the import runs as a background task.
    fragment = await client.post(
        f"/manage/imports/{job_id}/run", data={"csrftoken": token}, headers={"HX-Request": "true"}
    )
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert "<progress" in fragment.text and 'hx-trigger="every 500ms"' in fragment.text
    status = await client.get(job_url, headers={"HX-Request": "true"})
    assert "26 needs were imported" in status.text and "every 500ms" not in status.text
    assert await count_needs(db) == 26
    need = await db.scalar(select(Need).where(Need.title == "Tents batch 3"))
    assert need.area_id == setup.village["id"] and need.lat == setup.village["lat"]
    assert need.status == "open" and need.created_by_id is not None
    # Each imported need's page shows how it was created.
    history = await client.get(f"/needs/{need.id}")
    assert "created by importing needs.xlsx (26 needs)" in history.text
    await db.rollback()
    again = await client.post(f"/manage/imports/{job_id}/run", data={"csrftoken": token})
    assert again.status_code == 409 and await count_needs(db) == 26


async def test_import_without_javascript_shows_result_page(db, client, factory, setup):
    token = await official_browser(client, factory)
    response = await client.post(
        "/manage/imports/new",
        data={"csrftoken": token, "incident_id": str(setup.incident["id"])},
        files={"file": ("needs.csv", csv_bytes([good_row(1), good_row(2)]), "text/csv")},
    )
    job_url = response.headers["location"]
    job_id = int(job_url.rsplit("/", 1)[1])
    done = await client.post(f"/manage/imports/{job_id}/run", data={"csrftoken": token})
    assert done.status_code == 303
    page = await client.get(done.headers["location"])
    assert "2 needs were imported" in page.text


async def test_failed_import_writes_nothing(db, app, factory, setup, monkeypatch):
    official = setup.official
    rows = [good_row(i) for i in range(30)]
    job = await preview(
        db, incident_id=setup.incident["id"], filename="n.csv", data=csv_bytes(rows), actor=official
    )
    await start(db, job.id, actor=official)
    # Corrupt one stored row so the database refuses it half-way through.
    job.rows = [*job.rows[:20], {**job.rows[20], "quantity": -1}, *job.rows[21:]]
    await db.commit()
    monkeypatch.setattr("recovery.service.imports.CHUNK", 10)
    await run(app.state.database, job.id, official.id)
    await db.refresh(job)
    assert job.status == "failed" and job.message
    assert await count_needs(db) == 0


async def test_only_officials_import(client, factory, setup):
    await factory.user(Role.ngo, email="n@example.org")
    await sign_in(client, "n@example.org")
    token = await csrf_token(client, "/needs")
    response = await client.post(
        "/manage/imports/new",
        data={"csrftoken": token, "incident_id": str(setup.incident["id"])},
        files={"file": ("needs.csv", csv_bytes([good_row()]), "text/csv")},
    )
    assert response.status_code == 403


async def test_five_thousand_rows_import_in_one_run(db, app, setup):
    # Its speed is bench/import_needs.py's to measure, not a timed test's.
    rows = [
        (f"Need {i}", "food", i + 1, "boxes", "medium", SOON, "", "30.5", "114.2", "")
        for i in range(5000)
    ]
    job = await preview(
        db,
        incident_id=setup.incident["id"],
        filename="big.xlsx",
        data=xlsx_bytes(rows),
        actor=setup.official,
    )
    await start(db, job.id, actor=setup.official)
    await db.commit()
    await run(app.state.database, job.id, setup.official.id)
    assert await count_needs(db) == 5000


async def test_import_over_the_api(client, db, setup):
    bad = await client.post(
        "/api/v1/needs/import",
        data={"incident_id": str(setup.incident["id"])},
        files={
            "file": ("n.csv", csv_bytes([good_row(1), good_row(2, area="Nowhere")]), "text/csv")
        },
        headers=setup.headers,
    )
    assert bad.status_code == 201 and bad.json()["status"] == "invalid"
    assert bad.json()["errors"] == [
        {"row": 3, "column": "area", "message": "no such area in this incident"}
    ]
    refused = await client.post(f"/api/v1/imports/{bad.json()['id']}/run", headers=setup.headers)
    assert refused.status_code == 409
    good = await client.post(
        "/api/v1/needs/import",
        data={"incident_id": str(setup.incident["id"])},
        files={"file": ("n.csv", csv_bytes([good_row(1), good_row(2)]), "text/csv")},
        headers=setup.headers,
    )
    assert good.json()["status"] == "ready" and good.json()["total_rows"] == 2
    done = await client.post(f"/api/v1/imports/{good.json()['id']}/run", headers=setup.headers)
    assert done.status_code == 200
    assert done.json()["status"] == "done" and done.json()["created_count"] == 2
    shown = await client.get(f"/api/v1/imports/{good.json()['id']}", headers=setup.headers)
    assert shown.json()["processed_rows"] == 2
    missing = await client.post(
        "/api/v1/needs/import", data={}, files={"x": ("a", b"b")}, headers=setup.headers
    )
    assert missing.status_code == 422
    assert set(missing.json()["error"]["fields"]) == {"incident_id", "file"}


async def test_progress_is_reported_per_chunk(db, setup, monkeypatch):
    from recovery.service.imports import write_needs

    monkeypatch.setattr("recovery.service.imports.CHUNK", 10)
    job = await preview(
        db,
        incident_id=setup.incident["id"],
        filename="n.csv",
        data=csv_bytes([good_row(i) for i in range(25)]),
        actor=setup.official,
    )
    await start(db, job.id, actor=setup.official)
    seen = []

    async def progress(count):
        seen.append(count)

    assert await write_needs(db, job, setup.official.id, progress=progress) == 25
    assert seen == [10, 20, 25]
    assert job.status == "done" and job.processed_rows == 25
