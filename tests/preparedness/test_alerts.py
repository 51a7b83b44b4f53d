"""CAP 1.2 alerts: two info blocks valid against the OASIS schema, the Atom feed of current
alerts, updates and cancellations naming the original, double opt-in mail to subscribers."""

import email
import email.policy
import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select

from core import clock, jobs
from core.mail import deliver
from core.models import OutboxMessage

pytestmark = pytest.mark.asyncio

CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"
XSD = Path(__file__).parent / "schema" / "CAP-v1.2.xsd"
# The OASIS file as published (see schema/NOTICE.md): pinned, so it cannot be loosened.
XSD_SHA256 = "f6c6ed7537a463968b7b36110f7e8bba1f86ad2257a8b84619d7dce530e57401"
SCHEMA = etree.XMLSchema(etree.parse(str(XSD)))


def alert_body(prep, **overrides) -> dict:
    body = {
        "event": "Flood",
        "category": "Met",
        "urgency": "Immediate",
        "severity": "Severe",
        "certainty": "Observed",
        "headline": "River over its banks at Willow Village",
        "description": "The river has risen 2 m overnight and is still rising.",
        "instruction": "Move to the school on the hill now.",
        "zh": {
            "event": "洪水",
            "headline": "柳树村河水漫堤",
            "description": "河水一夜上涨两米，仍在上涨。",
            "instruction": "请立即转移到山上的学校。",
        },
        "area_ids": [prep.setup.village["id"]],
        "expires": (clock.utcnow() + timedelta(hours=12)).isoformat(),
    }
    body.update(overrides)
    return body


async def _cap(client, alert_id) -> etree._Element:
    response = await client.get(f"/alerts/{alert_id}.cap")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/cap+xml")
    document = etree.fromstring(response.content)
    SCHEMA.assertValid(document)
    return document


async def test_the_schema_is_the_official_oasis_file_and_it_rejects_a_broken_alert():
    assert hashlib.sha256(XSD.read_bytes()).hexdigest() == XSD_SHA256
    assert b"Copyright OASIS Open 2010" in XSD.read_bytes()
    broken = etree.fromstring(
        b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>x</identifier>'
        b"<sender>s</sender><sent>2026-01-01T00:00:00Z</sent><status>Actual</status>"
        b"<msgType>Alert</msgType><scope>Public</scope></alert>"
    )
    # CAP wants an explicit offset: "Z" is refused, as are unknown statuses.
    assert not SCHEMA.validate(broken)


async def test_alert_is_valid_cap_with_an_english_and_a_chinese_info(prep, client):
    receipt = await prep.call("POST", "/api/v1/alerts", alert_body(prep), status=201)
    assert receipt["status"] == "Actual" and receipt["identifier"]
    document = await _cap(client, receipt["id"])
    assert document.findtext(f"{CAP}identifier") == receipt["identifier"]
    infos = document.findall(f"{CAP}info")
    assert [i.findtext(f"{CAP}language") for i in infos] == ["en-US", "zh-CN"]
    assert infos[1].findtext(f"{CAP}headline") == "柳树村河水漫堤"
    area = infos[0].find(f"{CAP}area")
    assert area.findtext(f"{CAP}areaDesc") == "Willow Village"
    assert area.findtext(f"{CAP}circle") == "30.63000,114.33000 5"


async def test_polygon_areas_validate_and_bad_input_names_the_field(prep, client):
    ring = [[30.6, 114.3], [30.7, 114.3], [30.7, 114.4], [30.6, 114.3]]
    receipt = await prep.call("POST", "/api/v1/alerts", alert_body(prep, polygon=ring), status=201)
    document = await _cap(client, receipt["id"])
    assert document.find(f"{CAP}info/{CAP}area/{CAP}polygon") is not None
    error = await prep.call(
        "POST", "/api/v1/alerts", alert_body(prep, polygon=ring[:3] + [[1, 1]]), status=422
    )
    assert "polygon" in error["error"]["fields"]
    error = await prep.call("POST", "/api/v1/alerts", alert_body(prep, severity="Bad"), status=422)
    assert "severity" in error["error"]["fields"]
    error = await prep.call(
        "POST", "/api/v1/alerts", alert_body(prep, msg_type="Update"), status=422
    )
    assert "references_id" in error["error"]["fields"]
    await prep.call("POST", "/api/v1/alerts", alert_body(prep), headers={}, status=401)


async def test_updates_and_cancels_reference_the_original_and_leave_the_feed(prep, client):
    first = await prep.call("POST", "/api/v1/alerts", alert_body(prep), status=201)
    feed = await client.get("/alerts.atom")
    assert feed.status_code == 200 and first["identifier"] in feed.text
    update = await prep.call(
        "POST",
        "/api/v1/alerts",
        alert_body(prep, msg_type="Update", references_id=first["id"], severity="Extreme"),
        status=201,
    )
    document = await _cap(client, update["id"])
    assert document.findtext(f"{CAP}msgType") == "Update"
    assert first["identifier"] in document.findtext(f"{CAP}references")
    feed = await client.get("/alerts.atom")
    assert first["identifier"] not in feed.text and update["identifier"] in feed.text
    # The replaced alert cannot be updated again.
    await prep.call(
        "POST",
        "/api/v1/alerts",
        alert_body(prep, msg_type="Cancel", references_id=first["id"]),
        status=409,
    )
    cancel = await prep.call(
        "POST",
        "/api/v1/alerts",
        alert_body(prep, msg_type="Cancel", references_id=update["id"]),
        status=201,
    )
    await _cap(client, cancel["id"])
    feed = await client.get("/alerts.atom")
    etree.fromstring(feed.content)
    assert "<entry>" not in feed.text
    page = await client.get("/alerts")
    assert page.status_code == 200 and "River over its banks" not in page.text


async def test_public_page_shows_current_alerts_by_area_in_the_readers_language(prep, client):
    await prep.call("POST", "/api/v1/alerts", alert_body(prep), status=201)
    page = await client.get("/alerts")
    assert "Willow Village" in page.text and "River over its banks" in page.text
    zh = await client.get("/alerts", headers={"Accept-Language": "zh-CN"})
    assert "柳树村河水漫堤" in zh.text
    clock.advance(timedelta(hours=13))
    page = await client.get("/alerts")
    assert "River over its banks" not in page.text


async def test_subscriber_confirms_and_receives_new_alerts_by_mail(prep, client, app, settings):
    county = prep.setup.county["id"]
    answer = await prep.call(
        "POST", "/api/v1/alert-subscriptions", {"email": "li@example.org", "area_id": county},
        headers={}, status=202,
    )  # fmt: skip
    assert answer == {"status": "pending"}
    await prep.call(
        "POST", "/api/v1/alert-subscriptions", {"email": "not-an-address", "area_id": county},
        headers={}, status=422,
    )  # fmt: skip
    async with app.state.database.session() as session:
        confirm = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.kind == "alert.confirm")
        )
    link = confirm.body.split("open ", 1)[1].split(" ", 1)[0]
    path = link.replace("http://testserver", "")
    # An unconfirmed address hears nothing.
    early = await prep.call("POST", "/api/v1/alerts", alert_body(prep), status=201)
    await jobs.run_job(app.state.database, "preparedness.send_alert", {"alert_id": early["id"]})
    page = await client.get(path)
    assert page.status_code == 200
    confirmed = await client.post(path, data={"csrftoken": client.cookies.get("csrftoken", "")})
    assert confirmed.status_code in (302, 303)
    # A village alert reaches the county's subscriber, through the job queue's handler.
    receipt = await prep.call("POST", "/api/v1/alerts", alert_body(prep), status=201)
    await jobs.run_job(
        app.state.database,
        "preparedness.send_alert",
        {"alert_id": receipt["id"], "base_url": "http://testserver"},
    )
    async with app.state.database.session() as session:
        mails = list(
            await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "alert.new"))
        )
    assert [m.to_email for m in mails] == ["li@example.org"]
    await deliver(settings, mails[0])
    delivered = _mailbox(settings.mail_dir)
    assert len(delivered) == 1
    assert delivered[0]["To"] == "li@example.org"
    assert "River over its banks" in delivered[0]["Subject"]
    content = delivered[0].get_body().get_content()
    assert "Move to the school" in content
    # Every alert mail carries a signed unsubscribe link that works without signing in.
    unsubscribe = content.split("/alerts/unsubscribe/", 1)[1].split()[0]
    stop_path = f"/alerts/unsubscribe/{unsubscribe}"
    client.cookies.clear()
    page = await client.get(stop_path)
    assert page.status_code == 200 and "Riverside County" in page.text
    forged = await client.get(f"/alerts/unsubscribe/{unsubscribe[:-2]}xx")
    assert forged.status_code == 404
    stopped = await client.post(stop_path, data={"csrftoken": client.cookies.get("csrftoken", "")})
    assert stopped.status_code == 200 and "no more alerts" in stopped.text
    again = await prep.call("POST", "/api/v1/alerts", alert_body(prep), status=201)
    await jobs.run_job(app.state.database, "preparedness.send_alert", {"alert_id": again["id"]})
    async with app.state.database.session() as session:
        mails = list(
            await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "alert.new"))
        )
    assert len(mails) == 1


def _mailbox(folder) -> list:
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in sorted(Path(folder).glob("*.eml"))
    ]


async def test_anyone_subscribes_on_the_alerts_page_without_javascript(prep, client, app):
    client.cookies.clear()
    page = await client.get("/alerts")
    assert page.status_code == 200 and 'name="area_id"' in page.text
    assert "Willow Village" in page.text
    csrf = client.cookies.get("csrftoken", "")
    village = prep.setup.village["id"]
    bad = await client.post(
        "/alerts", data={"csrftoken": csrf, "email": "not-an-address", "area_id": village}
    )
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.text
    zh = await client.post(
        "/alerts",
        data={"csrftoken": csrf, "email": "", "area_id": village},
        headers={"Accept-Language": "zh-CN"},
    )
    assert zh.status_code == 422 and "订阅" in zh.text
    done = await client.post(
        "/alerts", data={"csrftoken": csrf, "email": "wu@example.org", "area_id": village}
    )
    assert done.status_code in (302, 303) and "subscribed=1" in done.headers["location"]
    async with app.state.database.session() as session:
        confirm = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.kind == "alert.confirm")
        )
    assert confirm.to_email == "wu@example.org" and "/alerts/subscriptions/" in confirm.body
