"""With the UI in Chinese, no English is left on any page a role reaches, or in a form's errors.

The demo data set is loaded in Chinese, as a Chinese recovery office would have it. Every
role of the demo walks every page it can reach by links (two of each shape, e.g.
/needs/{n}), then submits every form that has required fields, empty. What the people
typed (names, titles, units, places: the database's text) is taken out of each page first;
what is left may hold no Latin word except the allowlisted terms below.
"""

import re
from collections import deque
from urllib.parse import urldefrag, urlsplit

import pytest
from lxml import html
from sqlalchemy import String, select
from sqlmodel import SQLModel

from core.cli import load_demo
from core.demo import DEMO_PASSWORD
from recovery.service.reports import render_markdown
from tests.conftest import sign_in

pytestmark = pytest.mark.asyncio

CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9"}
# Terms a Chinese page writes in Latin letters too: formats, standards, product names.
ALLOWED = {
    "API", "CSV", "HXL", "IATI", "JSON", "XLSX", "XML", "PDF", "SMS", "CAP", "OASIS", "Atom",
    "iCalendar", "ICS", "RSS", "SVG", "URL", "ID", "UTC", "GMT", "CC", "BY", "OpenStreetMap",
    "Leaflet", "htmx", "Recovery", "Commons", "NGO", "km", "kg", "CN", "CNY", "HK", "Bearer",
    "OpenAPI", "SHA", "HTTPS", "HTTP", "Markdown", "Email", "IANA", "cURL", "curl", "sha256",
    "Python", "JavaScript", "hash", "prev_hash", "GB", "MB", "KB", "AM", "PM",
    "English",  # the language switcher names the other language in its own words
    "ISO", "JPEG", "PNG", "WebP", "Excel", "csv", "xlsx", "ics", "YYYY", "MM", "DD", "WGS",
    "Proxy",  # HXL Proxy, a tool's name
    "GIS", "GeoJSON", "Polygon", "MultiPolygon",  # the outline format and its geometry types
    "geojson", "io",  # geojson.io, a drawing tool's address
}  # fmt: skip
# Columns that hold codes the UI must put in words, never show as they are.
CODE_COLUMNS = {
    "status", "category", "priority", "kind", "role", "action", "object_type", "capability",
    "phase", "locale", "currency", "attendance", "source", "offer_kind", "about_kind",
    "incident_type", "urgency", "severity", "certainty", "msg_type", "scope", "state",
    "entry_type", "method", "channel", "reason_code", "password_hash", "token_hash",
    "sid_hash", "time_zone", "name_code",
}  # fmt: skip
SKIP = re.compile(
    r"^/(api/|static/|logout|language|openapi\.json)|\.(csv|xml|atom|ics|pdf|json|svg|cap|xlsx)$"
    r"|/events$|/download|/export"
)
LATIN = re.compile(r"(?<![\w])[A-Za-z][A-Za-z'’]*")
# The open-data page documents the codes its files hold (e.g. "open（待满足）").
PAGE_TERMS = {
    "/data": {
        "open",
        "partially",
        "met",
        "closed",
        "cancelled",
        "critical",
        "high",
        "medium",
        "low",
        "todo",
        "in",
        "progress",
        "blocked",
        "done",
        "government",
        "ngo",
        "company",
        "community",
        "lead",
        "responsible",
        "food",
        "shelter",
        "water",
        "sanitation",
        "reconstruction",
        "limit",
        "offset",
    },
}
ROLES = ("official", "ngo", "volunteer", "donor", "admin", None)
PER_SHAPE = 2
MAX_PAGES = 160


def _shape(path: str) -> str:
    return re.sub(r"\d+", "{n}", path)


def _visible_text(tree) -> str:
    # Code, file contents and what is marked translate="no" are what they are in any language.
    for bad in tree.xpath(
        "//script|//style|//noscript|//template|//code|//pre|//*[@translate='no']"
    ):
        bad.drop_tree()
    # Each piece of text on its own line: adjacent options and cells are separate words.
    parts = [piece for piece in tree.itertext()]
    for attr in ("aria-label", "placeholder", "title", "alt"):
        parts += tree.xpath(f"//@{attr}")
    parts += tree.xpath("//input[@type='submit' or @type='button']/@value")
    return "\n".join(str(p) for p in parts)


def _is_text(column) -> bool:
    kind = column.type
    return isinstance(kind, String) or isinstance(getattr(kind, "impl", None), String)


async def _data_strings(db) -> re.Pattern:
    """Every text value people or the demo typed, longest first (so parts go after wholes)."""
    found: set[str] = set()
    for table in SQLModel.metadata.sorted_tables:
        columns = [c for c in table.columns if _is_text(c) and c.name not in CODE_COLUMNS]
        for column in columns:
            for value in await db.scalars(select(column).where(column.isnot(None)).distinct()):
                # A lone lowercase word is a code (shown as a label) unless it is a unit.
                if _CODE.match(value) and column.name != "unit":
                    continue
                if value and not value.isdigit():
                    found.add(value.strip())
                    # A Markdown body shows as HTML: each piece of its text.
                    if "\n" in value:
                        rendered = html.fromstring(f"<div>{render_markdown(value)}</div>")
                        found.update(piece.strip() for piece in rendered.itertext())
    values = sorted((v for v in found if v), key=len, reverse=True)
    return re.compile(r"(?<![A-Za-z])(?:" + "|".join(map(re.escape, values)) + r")(?![A-Za-z])")


_CODE = re.compile(r"^[a-z_]+$")


def _leftovers(text: str, data: re.Pattern | None) -> set[str]:
    text = re.sub(
        r"\S+@\S+|https?://\S+|[\w.-]+/[\w./{}+-]+|\b[\w-]+\.(json|csv|xml|ics|pdf|atom)\b",
        " ",
        text,
    )
    if data is not None:
        text = data.sub(" ", text)
    return {w for w in LATIN.findall(text) if w not in ALLOWED and w.strip("'’") not in ALLOWED}


def _links(tree, here: str) -> list[str]:
    found = []
    for href in tree.xpath("//a/@href"):
        url, _frag = urldefrag(href)
        parts = urlsplit(url)
        if parts.netloc not in ("", "testserver"):
            continue
        path = parts.path if parts.path.startswith("/") else None
        if path and not SKIP.search(path):
            found.append(path + (f"?{parts.query}" if parts.query else ""))
    return found


async def _walk(client, data, problems: dict, start: list[str]) -> tuple[list, int]:
    seen_shapes: dict[str, int] = {}
    seen: set[str] = set()
    queue = deque(start)
    forms = []
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        shape = _shape(urlsplit(url).path)
        if url in seen or seen_shapes.get(shape, 0) >= PER_SHAPE:
            continue
        seen.add(url)
        seen_shapes[shape] = seen_shapes.get(shape, 0) + 1
        response = await client.get(url, headers=CHINESE)
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        tree = html.fromstring(response.text)
        for form in tree.xpath("//form[@method='post' or @method='POST']"):
            if form.xpath(".//*[@required]") and form.get("action"):
                forms.append((url, form.get("action"), form.xpath(".//input[@type='hidden']")))
        queue.extend(_links(tree, url))
        words = _leftovers(_visible_text(tree), data) - PAGE_TERMS.get(urlsplit(url).path, set())
        if words:
            problems[url] = sorted(words)
    return forms, len(seen)


async def _submit_empty(client, data, problems: dict, forms) -> None:
    done = set()
    for page, action, hidden in forms:
        target = urlsplit(action).path or page
        if _shape(target) in done or SKIP.search(target) or target in ("/login", "/register"):
            continue
        done.add(_shape(target))
        fields = {h.get("name"): h.get("value") or "" for h in hidden if h.get("name")}
        fields["csrftoken"] = client.cookies.get("csrftoken", "")
        response = await client.post(target, data=fields, headers={**CHINESE, "HX-Request": "true"})
        if response.status_code >= 500 or "text/html" not in response.headers.get(
            "content-type", ""
        ):
            continue
        words = _leftovers(_visible_text(html.fromstring(response.text or "<p></p>")), data)
        if words:
            problems[f"POST {target} (empty)"] = sorted(words)


async def test_every_page_and_form_error_reads_in_chinese(settings, client, db):
    assert await load_demo(settings, "zh_Hans")
    data = await _data_strings(db)
    await db.rollback()
    problems: dict[str, list[str]] = {}
    walked = 0
    for role in ROLES:
        client.cookies.clear()
        if role is not None:
            email = "admin@demo.example.org" if role == "admin" else f"{role}@demo.example.org"
            signed = await sign_in(client, email, DEMO_PASSWORD)
            assert signed.status_code == 303, signed.text
        await client.get("/login", headers=CHINESE)
        forms, visited = await _walk(client, data, problems, ["/", "/home", "/account"])
        # A walk that stops early would pass for the wrong reason.
        assert visited >= (10 if role in (None, "volunteer", "donor") else 25), (role, visited)
        walked += visited
        await _submit_empty(client, data, problems, forms)
    report = "\n".join(f"{url}: {' '.join(words)}" for url, words in sorted(problems.items()))
    assert not problems, f"English left on {len(problems)} of {walked} Chinese pages:\n{report}"
