"""Byte budgets measured on the wire: gzip-compressed dashboard HTML and the whole page."""

import random
from datetime import timedelta

import pytest
import pytest_asyncio
from lxml import html
from sqlalchemy import insert

from core import clock
from core.models import Organization, OrgKind, OrgStatus
from recovery.models import (
    Area,
    Category,
    Incident,
    Need,
    NeedStatus,
    Priority,
    Project,
    Report,
    Task,
    TaskStatus,
)

pytestmark = pytest.mark.asyncio

HTML_BUDGET = 14 * 1024
PAGE_BUDGET = 60 * 1024


@pytest_asyncio.fixture
async def big_incident(app) -> int:
    """An incident at the dashboard's largest: every category and status, more needs than the
    map draws, many projects, reports and organizations with overdue work, long names."""
    rng = random.Random(7)
    now = clock.utcnow()
    today = now.date()
    async with app.state.database.transaction() as session:
        orgs = [
            Organization(
                name=f"Riverside Community Reconstruction Cooperative No. {i}",
                kind=OrgKind.ngo,
                status=OrgStatus.verified,
                verified_at=now,
            )
            for i in range(40)
        ]
        session.add_all(orgs)
        incident = Incident(
            name="Riverside and Willow Valley floods of the summer",
            started_on=today - timedelta(days=90),
            description="Heavy rain flooded the river valley. " * 20,
        )
        session.add(incident)
        await session.flush()
        area = Area(incident_id=incident.id, name="Riverside County", lat=30.5, lon=114.3)
        session.add(area)
        await session.flush()
        await session.execute(
            insert(Need),
            [
                {
                    "incident_id": incident.id,
                    "area_id": area.id,
                    "title": f"Family tents and bedding for Willow Township block {i}",
                    "category": list(Category)[i % len(Category)].value,
                    "quantity": 100,
                    "quantity_met": (50 if i % 5 == 1 else 0),
                    "unit": "tents",
                    "priority": rng.choice(list(Priority)).value,
                    "needed_by": today + timedelta(days=rng.randint(-20, 40)),
                    "lat": 30 + rng.random(),
                    "lon": 114 + rng.random(),
                    "status": (
                        NeedStatus.partially_met if i % 5 == 1 else list(NeedStatus)[i % 5]
                    ).value,
                    "description": "",
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(1500)
            ],
        )
        projects = [
            Project(
                incident_id=incident.id,
                title=f"Rebuild the Willow Valley primary school and its dormitories, phase {i}",
                lead_org_id=orgs[i % len(orgs)].id,
                currency="CNY",
                starts_on=today - timedelta(days=60),
                due_on=today + timedelta(days=i - 10),
                progress=(i * 7) % 100,
            )
            for i in range(60)
        ]
        session.add_all(projects)
        await session.flush()
        session.add_all(
            Task(
                project_id=projects[i % len(projects)].id,
                title=f"Task {i}",
                responsible_org_id=orgs[i % len(orgs)].id,
                due_on=today - timedelta(days=3),
                status=TaskStatus.in_progress,
            )
            for i in range(200)
        )
        session.add_all(
            Report(
                incident_id=incident.id,
                title=f"Weekly progress report {i}: shelters, schools and the embankment",
                status="published",
                published_at=now - timedelta(days=i),
            )
            for i in range(12)
        )
    return incident.id


async def wire_bytes(client, url: str) -> tuple[int, dict]:
    """Bytes as sent: the gzip body, before httpx decompresses it."""
    async with client.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as response:
        assert response.status_code == 200, url
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
        return len(raw), dict(response.headers)


def page_resources(page_html: str) -> list[str]:
    """Everything the page loads on its own (Leaflet and its tiles are loaded later, and apart)."""
    tree = html.fromstring(page_html)
    urls = [link.get("href") for link in tree.iter("link") if link.get("rel") == "stylesheet"]
    urls += [script.get("src") for script in tree.iter("script") if script.get("src")]
    urls += [img.get("src") for img in tree.iter("img")]
    urls += [link.get("href") for link in tree.iter("link") if "icon" in (link.get("rel") or "")]
    return [u for u in urls if "vendor/leaflet" not in u]


async def test_dashboard_html_fits_the_first_round_trip(client, big_incident):
    size, headers = await wire_bytes(client, f"/incidents/{big_incident}")
    assert headers["content-encoding"] == "gzip"
    assert size <= HTML_BUDGET, f"dashboard HTML is {size} bytes compressed"


async def test_whole_dashboard_with_css_js_and_svg_fits_the_page_budget(client, big_incident):
    response = await client.get(f"/incidents/{big_incident}")
    total, _headers = await wire_bytes(client, f"/incidents/{big_incident}")
    html_size = total
    resources = page_resources(response.text)
    assert any("css/app." in u for u in resources)
    assert any("htmx" in u for u in resources)
    assert any("js/map." in u for u in resources)
    # The tile-free map is drawn into the HTML itself (counted above), not a separate image.
    assert "<svg" in response.text and 'aria-labelledby="map-title"' in response.text
    for url in resources:
        size, headers = await wire_bytes(client, url)
        if size > 500:  # GZipMiddleware leaves tiny bodies as they are
            assert headers.get("content-encoding") == "gzip", url
        total += size
    assert total <= PAGE_BUDGET, f"the whole page is {total} bytes compressed"
    print(f"dashboard: {html_size} B HTML, {total} B whole page (gzip)")


async def test_static_files_are_content_hashed_and_cached_for_a_year(client, big_incident):
    response = await client.get(f"/incidents/{big_incident}")
    for url in page_resources(response.text):
        if url.startswith("/static/"):
            _size, headers = await wire_bytes(client, url)
            assert "immutable" in headers["cache-control"], url
            assert "max-age=31536000" in headers["cache-control"], url


async def test_the_map_draws_at_most_500_needs(client, big_incident):
    points = (await client.get(f"/incidents/{big_incident}/map.geojson")).json()
    needs = [f for f in points["features"] if f["properties"].get("layer") == "needs"]
    assert len(needs) == 500
    assert points["total"] == 1200  # cancelled needs are not drawn
    page = await client.get(f"/incidents/{big_incident}")
    assert "Showing the 500 most urgent of 1,200 needs." in page.text
