"""The funds desk's forms: receive a different amount, unpledged money, refunds, payment
instructions; each refuses bad input in place (htmx, 422) in the reader's language."""

import pytest

from tests.donations.test_money import pledge, receive
from tests.donations.test_pages import browser

pytestmark = pytest.mark.asyncio
HTMX = {"HX-Request": "true"}


async def desk(client, world):
    return await client.get(f"/funds?incident_id={world.incident.id}")


async def test_pledge_received_with_a_different_amount_from_the_desk(client, world):
    gift = (await pledge(client, world, amount_minor=50_000)).json()
    token = await browser(client, world.official, "/funds")
    url = f"/funds/donations/{gift['id']}/receive"
    bad = await client.post(
        url, data={"reference": "BANK-9", "amount": "lots", "csrftoken": token}, headers=HTMX
    )
    assert bad.status_code == 422
    assert 'id="pledges"' in bad.text and "<html" not in bad.text
    assert f'id="e-amt-{gift["id"]}"' in bad.text
    assert 'value="lots"' in bad.text and 'value="BANK-9"' in bad.text
    done = await client.post(
        url, data={"reference": "BANK-9", "amount": "495.00", "csrftoken": token}, headers=HTMX
    )
    assert done.status_code in (200, 204) and "/funds" in done.headers["HX-Redirect"]
    row = (await client.get("/api/v1/donations", headers=world.headers["official"])).json()
    assert row["items"][0]["received_minor"] == 49_500


async def test_unpledged_money_is_recorded_from_the_desk_and_refused_in_place(client, world):
    token = await browser(client, world.official, "/funds")
    form = {
        "incident_id": str(world.incident.id),
        "channel": "cash",
        "amount": "200.00",
        "currency": "CNY",
        "reference": "BOX-7",
        "project_id": str(world.project.id),
        "need_id": "",
        "donor_name": "Wang Fang",
        "public_name": "",
        "csrftoken": token,
    }
    missing = await client.post("/funds/receipts", data=form | {"reference": ""}, headers=HTMX)
    assert missing.status_code == 422
    assert 'id="receipt-form"' in missing.text and 'id="e-reference"' in missing.text
    assert 'value="200.00"' in missing.text  # what was typed stays
    saved = await client.post("/funds/receipts", data=form)
    assert saved.status_code == 303
    row = (await client.get("/api/v1/donations", headers=world.headers["official"])).json()
    gift = row["items"][0]
    assert (gift["channel"], gift["received_minor"], gift["project_id"]) == (
        "cash",
        20_000,
        world.project.id,
    )
    # The donor's name is for the officials' books: the public ledger says Anonymous.
    ledger = await client.get(f"/ledger?incident_id={world.incident.id}")
    assert "Wang Fang" not in ledger.text
    assert "Wang Fang" not in (await client.get("/api/v1/ledger")).text


async def test_refund_from_the_desk_only_of_unspent_money(client, world):
    gift = (await pledge(client, world, amount_minor=10_000)).json()
    await receive(client, world, gift["id"], "BANK-3")
    token = await browser(client, world.official, "/funds")
    page = await desk(client, world)
    assert f"/funds/donations/{gift['id']}/refund" in page.text
    url = f"/funds/donations/{gift['id']}/refund"
    too_much = await client.post(
        url, data={"amount": "100.01", "reason": "sent twice", "csrftoken": token}, headers=HTMX
    )
    assert too_much.status_code == 422
    assert 'id="received"' in too_much.text and f'id="e-ra-{gift["id"]}"' in too_much.text
    no_reason = await client.post(
        url, data={"amount": "30.00", "reason": "", "csrftoken": token}, headers=HTMX
    )
    assert no_reason.status_code == 422 and f'id="e-rr-{gift["id"]}"' in no_reason.text
    done = await client.post(
        url, data={"amount": "30.00", "reason": "sent twice", "csrftoken": token}
    )
    assert done.status_code == 303
    kinds = [e["kind"] for e in (await client.get("/api/v1/ledger")).json()["items"]]
    assert kinds == ["receipt", "refund"]
    funds = (await client.get(f"/api/v1/incidents/{world.incident.id}/funds")).json()
    assert funds["funds"]["received_minor"] == 7_000


async def test_payment_instructions_set_from_the_desk_show_after_pledging(client, world):
    token = await browser(client, world.official, "/funds")
    url = f"/funds/incidents/{world.incident.id}/instructions"
    form = {
        "account_holder": "Riverside Recovery Office",
        "bank": "Bank of Riverside",
        "account_number": "6222 0000 1111",
        "reference_hint": "FLOOD + your phone number",
        "text_en": "Transfers arrive within a day.",
        "text_zh": "转账一天内到账。",
        "csrftoken": token,
    }
    bad = await client.post(url, data=form | {"bank": ""}, headers=HTMX)
    assert bad.status_code == 422
    assert 'id="instructions-form"' in bad.text and 'id="e-bank"' in bad.text
    assert (await client.post(url, data=form)).status_code == 303
    page = await desk(client, world)
    assert 'value="6222 0000 1111"' in page.text  # the form shows what is set
    answer = await client.get(f"/api/v1/incidents/{world.incident.id}/payment-instructions")
    assert answer.json()["bank"] == "Bank of Riverside"
    gift = (await pledge(client, world, amount_minor=5_000)).json()
    await browser(client, world.donor, "/my-donations")
    shown = await client.get(f"/donations/{gift['id']}")
    assert "6222 0000 1111" in shown.text and "Transfers arrive within a day." in shown.text
    chinese = await client.get(f"/donations/{gift['id']}", headers={"Accept-Language": "zh-CN"})
    assert "转账一天内到账。" in chinese.text


async def test_desk_refusals_speak_chinese(client, world):
    token = await browser(client, world.official, "/funds")
    zh = HTMX | {"Accept-Language": "zh-CN"}
    bad = await client.post(
        f"/funds/incidents/{world.incident.id}/instructions",
        data={"account_holder": "", "bank": "B", "account_number": "1", "csrftoken": token},
        headers=zh,
    )
    assert bad.status_code == 422
    assert 'id="e-account_holder"' in bad.text
    assert "户名" in bad.text and "保存付款说明" in bad.text
    assert "Account holder" not in bad.text


async def test_money_refusals_speak_of_amounts_not_fen(client, world):
    # Amounts are typed in yuan and stored in fen: a refusal never quotes the fen bounds.
    token = await browser(client, world.official, "/funds")
    form = {
        "incident_id": str(world.incident.id), "channel": "cash", "currency": "CNY",
        "reference": "BOX-8", "project_id": "", "need_id": "", "donor_name": "",
        "public_name": "", "csrftoken": token,
    }  # fmt: skip
    for typed, said in (
        ("abc", "Give an amount such as 12.50"),
        ("1.234", "Give an amount such as 12.50"),
        ("-1", "Give an amount above zero."),
        ("1e30", "This amount is too large."),
    ):
        refused = await client.post("/funds/receipts", data=form | {"amount": typed}, headers=HTMX)
        assert refused.status_code == 422, typed
        assert said in refused.text, typed
        assert "1000000000000" not in refused.text and "whole number" not in refused.text
    api = await pledge(client, world, amount_minor=0)
    assert api.json()["error"]["fields"]["amount_minor"] == "Give an amount above zero."
