"""The public ledger: hash chain, verification, tamper detection, downloads, IATI, privacy."""

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
import xmlschema
from lxml import etree
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from donations.service.ledger import VERIFY_SNIPPET
from tests.donations.test_money import disburse, pledge, receive

pytestmark = pytest.mark.asyncio
SCHEMA_DIR = Path(__file__).parent / "iati_schema"


async def money_flow(client, world) -> list[dict]:
    named = (await pledge(client, world, amount_minor=80_000, public_name="Ma Lin")).json()
    anonymous = (
        await pledge(client, world, who="donor2", amount_minor=40_000,
                     project_id=world.project.id)
    ).json()  # fmt: skip
    await receive(client, world, named["id"], "BANK-100")
    await receive(client, world, anonymous["id"], "BANK-101")
    assert (await disburse(client, world, 50_000)).status_code == 201
    return [named, anonymous]


async def test_entries_form_a_chain_and_verify(client, world):
    await money_flow(client, world)
    listing = (await client.get(f"/api/v1/ledger?incident_id={world.incident.id}")).json()
    entries = listing["items"]
    assert listing["total"] == 5
    kinds = ["receipt", "receipt", "disbursement", "allocation", "allocation"]
    assert [e["kind"] for e in entries] == kinds
    assert entries[0]["prev_hash"] == "0" * 64
    for before, after in zip(entries, entries[1:], strict=False):
        assert after["prev_hash"] == before["hash"]
    assert [e["counterparty"] for e in entries[:2]] == ["Ma Lin", "Anonymous"]
    # The project's own gift pays first, the general fund the rest.
    assert [(e["counterparty"], e["amount_minor"]) for e in entries[3:]] == [
        ("Anonymous", 40_000),
        ("Ma Lin", 10_000),
    ]
    verdict = (await client.get("/api/v1/ledger/verify")).json()
    assert verdict["ok"] is True
    assert verdict["entries"] == 5
    assert verdict["first_break"] is None


async def test_concurrent_appends_keep_one_chain(client, world):
    ids = [(await pledge(client, world, amount_minor=1_000 + i)).json()["id"] for i in range(6)]
    results = await asyncio.gather(*(receive(client, world, i, f"R{i}") for i in ids))
    assert {r.status_code for r in results} == {200}
    verdict = (await client.get(f"/api/v1/ledger/verify?incident_id={world.incident.id}")).json()
    assert verdict == {
        "ok": True,
        "entries": 6,
        "chains": [verdict["chains"][0]],
        "first_break": None,
        "breaks": [],
    }
    assert verdict["chains"][0]["entries"] == 6


async def test_database_refuses_updates_and_deletes_of_entries(client, world, app):
    await money_flow(client, world)
    for statement in (
        "UPDATE ledger_entries SET amount_minor = 1 WHERE seq = 1",
        "DELETE FROM ledger_entries WHERE seq = 3",
    ):
        async with app.state.database.session() as session:
            with pytest.raises((DBAPIError, IntegrityError), match="append-only"):
                await session.execute(text(statement))
            await session.rollback()
    assert (await client.get("/api/v1/ledger/verify")).json()["ok"] is True


async def _tamper(app, statement: str) -> None:
    """What an insider with database rights could do: switch the guard off, edit, switch on."""
    engine = app.state.database.engine
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execute(text("ALTER TABLE ledger_entries DISABLE TRIGGER USER"))
            await conn.execute(text(statement))
            await conn.execute(text("ALTER TABLE ledger_entries ENABLE TRIGGER USER"))
        else:
            await conn.execute(text("DROP TRIGGER ledger_entries_no_update"))
            await conn.execute(text("DROP TRIGGER ledger_entries_no_delete"))
            await conn.execute(text(statement))


async def test_tampered_amount_is_reported_at_the_exact_entry(client, world, app):
    await money_flow(client, world)
    entries = (await client.get("/api/v1/ledger")).json()["items"]
    await _tamper(app, "UPDATE ledger_entries SET amount_minor = 8000 WHERE seq = 2")
    verdict = (await client.get("/api/v1/ledger/verify")).json()
    assert verdict["ok"] is False
    assert verdict["first_break"] == {
        "incident_id": world.incident.id,
        "seq": 2,
        "entry_id": entries[1]["id"],
        "reason": "the entry's contents do not match its hash",
    }
    assert len(verdict["breaks"]) == 1


async def test_rehashed_entry_breaks_the_next_link(client, world, app):
    """Recomputing the edited entry's own hash only moves the break to the next entry."""
    await money_flow(client, world)
    await _tamper(app, "UPDATE ledger_entries SET hash = '" + "f" * 64 + "' WHERE seq = 1")
    breaks = (await client.get("/api/v1/ledger/verify")).json()["breaks"]
    assert [(b["seq"], b["reason"]) for b in breaks] == [
        (1, "the entry's contents do not match its hash"),
        (2, "prev_hash does not match the previous entry's hash"),
    ]


async def test_deleted_last_entry_is_noticed(client, world, app):
    await money_flow(client, world)
    await _tamper(app, "DELETE FROM ledger_entries WHERE seq = 5")
    verdict = (await client.get("/api/v1/ledger/verify")).json()
    assert verdict["ok"] is False
    assert verdict["first_break"]["seq"] == 5
    assert "missing" in verdict["first_break"]["reason"]


async def test_reversal_is_a_new_entry_and_restores_the_balance(client, world):
    await money_flow(client, world)
    entries = (await client.get("/api/v1/ledger")).json()["items"]
    spent = entries[2]
    reversed_ = await client.post(
        f"/api/v1/ledger/{spent['id']}/reverse",
        json={"reason": "Invoice was for another project"},
        headers=world.headers["official"],
    )
    assert reversed_.status_code == 201
    assert reversed_.json()["kind"] == "reversal"
    assert reversed_.json()["reverses_seq"] == 3
    again = await client.post(
        f"/api/v1/ledger/{spent['id']}/reverse",
        json={"reason": "twice"},
        headers=world.headers["official"],
    )
    assert again.status_code == 409
    funds = (await client.get(f"/api/v1/incidents/{world.incident.id}/funds")).json()["funds"]
    assert funds["disbursed_minor"] == 0
    assert funds["balance_minor"] == 120_000
    assert (await client.get("/api/v1/ledger/verify")).json()["ok"] is True
    by_donor = await client.post(
        f"/api/v1/ledger/{spent['id']}/reverse",
        json={"reason": "x"},
        headers=world.headers["donor"],
    )
    assert by_donor.status_code == 403


def _run_snippet(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "verify.py"], cwd=folder, capture_output=True, text=True, check=False
    )


async def test_downloaded_json_verifies_with_the_published_snippet(client, world, tmp_path):
    await money_flow(client, world)
    download = await client.get(f"/api/v1/ledger/export.json?incident_id={world.incident.id}")
    assert download.status_code == 200
    (tmp_path / "ledger.json").write_bytes(download.content)
    (tmp_path / "verify.py").write_text(VERIFY_SNIPPET)
    ok = await asyncio.to_thread(_run_snippet, tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "5 entries" in ok.stdout
    data = json.loads(download.content)
    data["entries"][0]["amount_minor"] += 1
    (tmp_path / "ledger.json").write_text(json.dumps(data))
    bad = await asyncio.to_thread(_run_snippet, tmp_path)
    assert bad.returncode != 0
    assert "entry 1" in bad.stderr


async def test_csv_download_has_every_entry(client, world):
    await money_flow(client, world)
    response = await client.get(f"/api/v1/ledger/export.csv?incident_id={world.incident.id}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    lines = response.text.strip().splitlines()
    assert lines[0].startswith("id,seq,incident_id,kind")
    assert len(lines) == 6


async def test_public_outputs_never_show_donor_emails(client, world):
    await money_flow(client, world)
    trail = [
        (await client.get("/api/v1/ledger")).text,
        (await client.get(f"/api/v1/ledger/export.csv?incident_id={world.incident.id}")).text,
        (await client.get(f"/api/v1/ledger/export.json?incident_id={world.incident.id}")).text,
        (await client.get(f"/api/v1/export/iati.xml?incident_id={world.incident.id}")).text,
    ]
    funds = await client.get(f"/api/v1/incidents/{world.incident.id}/funds")
    for output in (*trail, funds.text):
        assert world.donor.email not in output
        assert world.donor2.email not in output
        assert "Eastern Textiles" not in output  # donor2 gave anonymously
    for output in trail:
        # Donors appear only as the public name they chose, or as "Anonymous".
        assert "Ma Lin" in output
        assert "Anonymous" in output
    # The figures name nobody: only amounts.
    assert "Ma Lin" not in funds.text and "Anonymous" not in funds.text
    assert funds.json()["funds"]["received_minor"] == 120_000


async def test_iati_export_is_valid_against_the_2_03_schema(client, world):
    gifts = await money_flow(client, world)
    response = await client.get(f"/api/v1/export/iati.xml?incident_id={world.incident.id}")
    assert response.status_code == 200
    schema = xmlschema.XMLSchema(str(SCHEMA_DIR / "iati-activities-schema.xsd"))
    schema.validate(response.content)
    root = etree.fromstring(response.content)
    assert root.get("version") == "2.03"
    fund, activity = root.findall("iati-activity")
    assert fund.findtext("iati-identifier").endswith(f"-I{world.incident.id}")
    fund_id, project_id = fund.findtext("iati-identifier"), activity.findtext("iati-identifier")
    flows = [
        (t.find("transaction-type").get("code"), t.findtext("value"))
        for t in fund.findall("transaction")
    ]
    # The gift, then the 100.00 of it the project's disbursement drew out of the fund.
    assert flows == [("1", "800.00"), ("3", "100.00")]
    gift, drawn = fund.findall("transaction")
    assert gift.find("provider-org/narrative").text == "Ma Lin"
    assert gift.find("provider-org").get("ref") is None  # a donor has no organization ref
    assert gift.find("receiver-org").get("receiver-activity-id") == fund_id
    assert drawn.find("provider-org").get("provider-activity-id") == fund_id
    assert drawn.find("receiver-org").get("receiver-activity-id") == project_id
    assert fund.get("budget-not-provided") == "3"
    assert activity.findtext("title/narrative") == "Rebuild Willow school"
    roles = sorted(p.get("role") for p in activity.findall("participating-org"))
    assert roles == ["1", "2", "4"]
    assert activity.find("location/point/pos").text == "30.010000 120.010000"
    assert activity.find("budget/value").text == "500000.00"
    transactions = [
        (t.find("transaction-type").get("code"), t.findtext("value"))
        for t in activity.findall("transaction")
    ]
    # Its own gift, the 100.00 drawn in from the general fund, then the disbursement.
    assert transactions == [("1", "400.00"), ("1", "100.00"), ("3", "500.00")]
    own, drawn_in, spent = activity.findall("transaction")
    assert own.find("provider-org/narrative").text == "Anonymous"
    assert drawn_in.get("ref") == drawn.get("ref")  # one allocation, seen from both sides
    assert drawn_in.find("provider-org").get("provider-activity-id") == fund_id
    assert drawn_in.find("receiver-org").get("receiver-activity-id") == project_id
    assert spent.find("provider-org").get("provider-activity-id") == project_id
    lead = spent.find("receiver-org")
    assert lead.get("ref") == f"XI-RC-{world.ngo.organization_id}"
    assert lead.findtext("narrative") == "Red Cross Riverside"
    # The disbursement says which gifts paid for it.
    description = spent.findtext("description/narrative")
    assert f"RC-DON-{gifts[1]['id']} 400.00" in description
    assert f"RC-DON-{gifts[0]['id']} 100.00" in description


async def test_iati_counts_what_arrived_less_refunds_and_leaves_reversed_spending_out(
    client, world
):
    official = world.headers["official"]
    gift = (await pledge(client, world, amount_minor=50_000, public_name="Ma Lin")).json()
    await client.post(
        f"/api/v1/donations/{gift['id']}/receive",
        json={"reference": "BANK-7", "amount_minor": 45_000},
        headers=official,
    )
    refund = await client.post(
        f"/api/v1/donations/{gift['id']}/refund",
        json={"amount_minor": 5_000, "reason": "sent twice"},
        headers=official,
    )
    assert refund.status_code == 201
    spent = (await disburse(client, world, 10_000, project_id=None)).json()
    undone = (await disburse(client, world, 7_000)).json()
    entries = (await client.get(f"/api/v1/ledger?incident_id={world.incident.id}")).json()
    (entry,) = [
        e for e in entries["items"]
        if e["kind"] == "disbursement" and e["disbursement_id"] == undone["id"]
    ]  # fmt: skip
    reversed_ = await client.post(
        f"/api/v1/ledger/{entry['id']}/reverse", json={"reason": "wrong project"}, headers=official
    )
    assert reversed_.status_code == 201
    response = await client.get(f"/api/v1/export/iati.xml?incident_id={world.incident.id}")
    schema = xmlschema.XMLSchema(str(SCHEMA_DIR / "iati-activities-schema.xsd"))
    schema.validate(response.content)
    fund, project = etree.fromstring(response.content).findall("iati-activity")
    rows = [(t.get("ref"), t.findtext("value")) for t in fund.findall("transaction")]
    assert rows == [(f"RC-DON-{gift['id']}", "400.00"), (f"RC-DIS-{spent['id']}", "100.00")]
    # Spent without a project: the reporting agency spends the fund itself.
    paid = fund.findall("transaction")[1]
    reporter = fund.find("reporting-org").get("ref")
    assert paid.find("provider-org").get("ref") == reporter
    assert paid.find("receiver-org").get("ref") == reporter
    assert project.findall("transaction") == []


async def test_iati_without_projects_or_money_is_still_valid(client, world):
    response = await client.get(f"/api/v1/export/iati.xml?incident_id={world.other_incident.id}")
    schema = xmlschema.XMLSchema(str(SCHEMA_DIR / "iati-activities-schema.xsd"))
    schema.validate(response.content)
    assert len(etree.fromstring(response.content).findall("iati-activity")) == 1


async def test_iati_for_unknown_incident_is_404(client):
    response = await client.get("/api/v1/export/iati.xml?incident_id=424242")
    assert response.status_code == 404
    missing = await client.get("/api/v1/export/iati.xml")
    assert missing.status_code == 422


async def test_ledger_labels_follow_each_readers_language(client, world):
    # The entry labels come from an imported template, which Jinja keeps per process: the
    # second reader must not get the first reader's language.
    await money_flow(client, world)
    url = f"/ledger?incident_id={world.incident.id}"
    chinese = await client.get(url, headers={"Accept-Language": "zh-CN"})
    assert "已到账" in chinese.text
    english = await client.get(url, headers={"Accept-Language": "en"})
    assert "received" in english.text
    assert "已到账" not in english.text
