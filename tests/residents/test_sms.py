"""SMS: the gateway's texts become requests and confirmations; replies go out through a fake
gateway that checks the shared secret, as the real adapter's HTTP format says."""

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from residents import service
from residents.models import SmsMessage

pytestmark = pytest.mark.asyncio
SECRET = "gateway-secret"
PHONE = "+8613712345678"


class FakeGateway:
    """A small SMS gateway: accepts `{to, text}` with the right secret, keeps what it got."""

    def __init__(self):
        self.sent: list[dict] = []

        async def send(request: Request):
            if request.headers.get("X-Gateway-Secret") != SECRET:
                return JSONResponse({"error": "bad secret"}, status_code=401)
            self.sent.append(await request.json())
            return JSONResponse({"accepted": True})

        self.app = Starlette(routes=[Route("/send", send, methods=["POST"])])

    def adapter(self, secret=SECRET) -> service.SmsGateway:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://gw"
        )
        return service.SmsGateway("http://gw/send", secret, client)

    def texts(self, to=PHONE) -> list[str]:
        return [m["text"] for m in self.sent if m["to"] == to]


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"sms_secret": SECRET})


async def _inbound(client, text, sender=PHONE, secret=SECRET):
    return await client.post(
        "/api/v1/sms/inbound",
        json={"from": sender, "text": text, "received_at": "2026-03-16T02:00:00Z"},
        headers={"X-Gateway-Secret": secret},
    )


async def _deliver(app, gateway, secret=SECRET) -> int:
    async with app.state.database.transaction() as session:
        return await service.send_pending(session, gateway.adapter(secret))


async def test_help_by_sms_becomes_a_request_and_the_reply_carries_reference_and_link(
    residents, app
):
    response = await _inbound(residents.client, "HELP drinking water for 12 people at Building 3")
    assert response.status_code == 200, response.text
    reference = response.json()["reply"].strip("[]")
    item = (await residents.queue())[0]
    assert item["reference"] == reference and item["channel"] == "sms"
    assert item["category"] == "water_sanitation"
    assert item["place"] == "Building 3" and item["contact_phone"] == PHONE
    gateway = FakeGateway()
    assert await _deliver(app, gateway) == 1
    (first,) = gateway.texts()
    received, link = first.split(" Follow it here: ")
    assert received == f"[{reference}] We received your request."
    # The first text carries the private follow-up link, for a phone without the web form.
    followed = await residents.client.get(link)
    assert followed.status_code == 200 and reference in followed.text
    # Each later change goes out too, and DONE <reference> from the same phone closes it.
    await residents.act(item["id"], "verify", {"note": "Called back"})
    done = await _inbound(residents.client, f"DONE {reference}")
    assert done.status_code == 200
    assert await _deliver(app, gateway) == 2
    assert gateway.texts()[1:] == [
        f"[{reference}] Your request was checked and confirmed.",
        f"[{reference}] You confirmed that your request was done. Thank you.",
    ]
    assert (await residents.queue())[0]["status"] == "closed"


async def test_another_phone_cannot_close_a_request_by_its_reference(residents):
    reference = (await _inbound(residents.client, "HELP food")).json()["reply"].strip("[]")
    answer = await _inbound(residents.client, f"DONE {reference}", sender="+8613900000000")
    assert answer.json()["reply"] == "No request of yours has this reference."
    assert (await residents.queue())[0]["status"] == "received"


async def test_the_gateway_must_give_the_shared_secret(residents):
    assert (await _inbound(residents.client, "HELP food", secret="wrong")).status_code == 401
    assert (await residents.queue()) == []


async def test_a_refused_send_is_kept_for_the_next_run(residents, app):
    await _inbound(residents.client, "HELP food")
    gateway = FakeGateway()
    assert await _deliver(app, gateway, secret="stale") == 0
    async with app.state.database.session() as session:
        message = (await session.execute(select(SmsMessage))).scalar_one()
        assert message.sent_at is None and message.attempts == 1 and "401" in message.last_error
    assert await _deliver(app, gateway) == 1


async def test_a_queued_reply_is_sent_by_the_queue(residents, app, monkeypatch):
    from core import jobs, worker
    from residents.service import sms

    gateway = FakeGateway()
    monkeypatch.setattr(
        sms.SmsGateway, "from_settings", classmethod(lambda cls, s: gateway.adapter())
    )
    await _inbound(residents.client, "HELP food at the school")
    async with app.state.database.session() as session:
        assert await jobs.queue_depth(session) >= 1
    await worker.drain(app.state.database)
    assert len(gateway.texts()) == 1 and gateway.texts()[0].startswith("[")
    async with app.state.database.session() as session:
        assert (await session.execute(select(SmsMessage))).scalar_one().sent_at is not None
        assert await jobs.queue_depth(session) == 0
