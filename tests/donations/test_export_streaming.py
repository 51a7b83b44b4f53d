"""The ledger and IATI downloads stream in batches and keep the bytes of the whole-list output."""

import asyncio
import math

import pytest
from lxml import etree

from core import clock
from donations.service import iati, ledger
from recovery.service import get_incident
from tests.conftest import TEST_START
from tests.donations.conftest import offer_body
from tests.donations.test_ledger import money_flow
from tests.donations.test_money import disburse, pledge, receive

pytestmark = pytest.mark.asyncio


async def _raw_get(app, path: str) -> tuple[int, list[bytes]]:
    """The app called as a server would, keeping each body message apart."""
    path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }
    messages: list[dict] = []
    done = asyncio.Event()
    requested = False

    async def receive_():
        # The request once; then, as a server does, nothing until the client goes away.
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        messages.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            done.set()

    await app(scope, receive_, send)
    status = next(m["status"] for m in messages if m["type"] == "http.response.start")
    return status, [m.get("body", b"") for m in messages if m["type"] == "http.response.body"]


async def _more_money(client, world, gifts: int = 4) -> None:
    await money_flow(client, world)
    for n in range(gifts):
        gift = (await pledge(client, world, amount_minor=1_000 + n, public_name=f"G{n}")).json()
        assert (await receive(client, world, gift["id"], f"R-{n}")).status_code == 200
    assert (await disburse(client, world, 2_000)).status_code == 201


async def test_ledger_downloads_stream_the_bytes_of_the_whole_list(app, client, world, monkeypatch):
    await _more_money(client, world)
    monkeypatch.setattr(ledger, "EXPORT_BATCH", 2)
    for incident_id in (world.incident.id, world.other_incident.id):
        async with app.state.database.session(write=False) as session:
            rows, total = await ledger.entries(session, incident_id=incident_id)
        expected_json = ledger.to_json(rows, incident_id).encode()
        expected_csv = ledger.to_csv(rows).encode()
        status, json_chunks = await _raw_get(
            app, f"/api/v1/ledger/export.json?incident_id={incident_id}"
        )
        assert status == 200
        assert b"".join(json_chunks) == expected_json
        status, csv_chunks = await _raw_get(
            app, f"/api/v1/ledger/export.csv?incident_id={incident_id}"
        )
        assert status == 200
        assert b"".join(csv_chunks) == expected_csv
        if incident_id == world.incident.id:
            assert total >= 8
            # Opening, one chunk per batch of two, closing (plus the server's end message).
            assert len([c for c in json_chunks if c]) == 2 + math.ceil(total / 2)
            assert len([c for c in csv_chunks if c]) >= math.ceil(total / 2)
        else:
            assert total == 0


def _tree_bytes(parts: list) -> bytes:
    """What the export was before it streamed: one tree, pretty-printed by lxml at the end."""
    root = iati._root()
    for activity, transactions in parts:
        root.append(activity)
        for tx in transactions:
            activity.append(tx)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


async def test_iati_streams_the_bytes_of_the_whole_tree(app, client, world):
    await _more_money(client, world)
    # A gift in kind at an estimated value: the in-kind activity streams like the others.
    offer = await client.post(
        "/api/v1/offers",
        json=offer_body(world.incident.id, value_minor=90_000, value_currency="CNY"),
        headers=world.headers["donor"],
    )
    assert offer.status_code == 201, offer.text
    clock.set_clock(TEST_START, ticking=False)
    for incident_id in (world.incident.id, world.other_incident.id):
        async with app.state.database.session(write=False) as session:
            incident = await get_incident(session, incident_id)
            parts = []
            async for activity, transactions in iati.activities(session, incident, "CNY"):
                parts.append((activity, [tx async for tx in transactions]))
        expected = _tree_bytes(parts)
        status, chunks = await _raw_get(app, f"/api/v1/export/iati.xml?incident_id={incident_id}")
        assert status == 200
        assert b"".join(chunks) == expected
        assert len([c for c in chunks if c]) > 2
    assert expected.count(b"<iati-activity ") == 1
    parsed = etree.fromstring(
        b"".join(
            (await _raw_get(app, f"/api/v1/export/iati.xml?incident_id={world.incident.id}"))[1]
        )
    )
    # 6 gifts received, 2 disbursements, and 2 allocations from the general fund to the
    # project, each a disbursement out of the fund and incoming funds into the project; and
    # the pledge in kind, in an activity of its own.
    assert len(parsed.findall(".//transaction")) == 13
    assert len(parsed.findall("iati-activity")) == 3


async def test_iati_of_an_unknown_incident_is_404_before_any_byte(app):
    status, chunks = await _raw_get(app, "/api/v1/export/iati.xml?incident_id=987654")
    assert status == 404
    assert b"not_found" in b"".join(chunks) or b"error" in b"".join(chunks)
