"""Who received each disbursement: an organization by name, a person never by name in public."""

import pytest
import xmlschema
from lxml import etree

from tests.donations.test_ledger import SCHEMA_DIR
from tests.donations.test_money import _funded, disburse
from tests.donations.test_pages import browser

pytestmark = pytest.mark.asyncio


async def public_views(client, world) -> dict[str, str]:
    incident = world.incident.id
    return {
        "disbursements": (await client.get(f"/api/v1/disbursements?incident_id={incident}")).text,
        "ledger": (await client.get(f"/api/v1/ledger?incident_id={incident}")).text,
        "ledger_page": (await client.get(f"/ledger?incident_id={incident}")).text,
        "csv": (await client.get(f"/api/v1/ledger/export.csv?incident_id={incident}")).text,
        "iati": (await client.get(f"/api/v1/export/iati.xml?incident_id={incident}")).text,
    }


async def test_payees_are_recorded_and_a_persons_name_never_published(client, world):
    await _funded(client, world, 100_000)
    to_org = await disburse(client, world, 20_000, payee_organization_id=world.ngo2.organization_id)
    to_supplier = await disburse(
        client, world, 15_000, payee_name="Hengda Building Supplies", payee_kind="organization"
    )
    to_person = await disburse(client, world, 5_000, payee_name="Zhang Wei")  # a person by default
    assert to_org.status_code == to_supplier.status_code == to_person.status_code == 201
    assert (to_org.json()["payee"], to_org.json()["payee_kind"]) == (
        "Blue Sky Rescue",
        "organization",
    )
    assert to_org.json()["payee_organization_id"] == world.ngo2.organization_id
    assert to_supplier.json()["payee"] == "Hengda Building Supplies"
    assert (to_person.json()["payee"], to_person.json()["payee_kind"]) == (None, "person")

    views = await public_views(client, world)
    for name, text in views.items():
        assert "Zhang Wei" not in text, name
    assert "Blue Sky Rescue" in views["disbursements"] and "Hengda" in views["ledger"]
    assert "An individual (name withheld)" in views["ledger_page"]
    xmlschema.XMLSchema(str(SCHEMA_DIR / "iati-activities-schema.xsd")).validate(views["iati"])
    project = etree.fromstring(views["iati"].encode()).findall("iati-activity")[1]
    receivers = {
        t.get("ref"): (t.find("receiver-org").get("ref"), t.findtext("receiver-org/narrative"))
        for t in project.findall("transaction")
        if t.find("transaction-type").get("code") == "3"
    }
    assert receivers[f"RC-DIS-{to_org.json()['id']}"] == (
        f"XI-RC-{world.ngo2.organization_id}", "Blue Sky Rescue",
    )  # fmt: skip
    assert receivers[f"RC-DIS-{to_supplier.json()['id']}"] == (None, "Hengda Building Supplies")
    assert receivers[f"RC-DIS-{to_person.json()['id']}"] == (None, "An individual (name withheld)")

    # The officials' desk shows the person's name, marked as not published.
    await browser(client, world.official, "/funds")
    desk = await client.get(f"/funds?incident_id={world.incident.id}")
    assert "Zhang Wei" in desk.text


async def test_bad_payees_name_the_field(client, world):
    await _funded(client, world, 100_000)
    both = await disburse(
        client, world, 1_000, payee_organization_id=world.ngo2.organization_id, payee_name="X"
    )
    assert both.status_code == 422 and "payee_name" in both.json()["error"]["fields"]
    unknown = await disburse(client, world, 1_000, payee_organization_id=987_654)
    assert unknown.status_code == 422
    assert "payee_organization_id" in unknown.json()["error"]["fields"]
    kind = await disburse(client, world, 1_000, payee_name="Li", payee_kind="robot")
    assert kind.status_code == 422 and "payee_kind" in kind.json()["error"]["fields"]


async def test_desk_form_records_the_payee(client, world):
    await _funded(client, world, 100_000)
    token = await browser(client, world.official, f"/funds?incident_id={world.incident.id}")
    form = {
        "csrftoken": token, "incident_id": str(world.incident.id),
        "project_id": str(world.project.id), "amount": "120.00", "currency": "CNY",
        "description": "Sand bags", "payee_name": "Old Zhou's hardware",
        "payee_kind": "organization",
    }  # fmt: skip
    saved = await client.post("/funds/disbursements", data=form)
    assert saved.status_code == 303, saved.text
    listed = await client.get(f"/api/v1/disbursements?incident_id={world.incident.id}")
    assert listed.json()["items"][0]["payee"] == "Old Zhou's hardware"
    both = await client.post(
        "/funds/disbursements",
        data=form | {"payee_organization_id": str(world.ngo2.organization_id)},
        headers={"HX-Request": "true"},
    )
    assert both.status_code == 422 and 'id="e-payee_name"' in both.text


async def test_desk_form_pays_a_registered_organization_whatever_the_kind_select_says(
    client, world
):
    await _funded(client, world, 100_000)
    token = await browser(client, world.official, f"/funds?incident_id={world.incident.id}")
    page = await client.get(f"/funds?incident_id={world.incident.id}")
    assert 'name="payee_organization_id"' in page.text and "Blue Sky Rescue" in page.text
    form = {
        "csrftoken": token, "incident_id": str(world.incident.id), "amount": "50.00",
        "currency": "CNY", "description": "Generator fuel", "payee_name": "",
        "payee_kind": "person", "payee_organization_id": str(world.ngo2.organization_id),
    }  # fmt: skip
    saved = await client.post("/funds/disbursements", data=form)
    assert saved.status_code == 303, saved.text
    (row,) = (await client.get(f"/api/v1/disbursements?incident_id={world.incident.id}")).json()[
        "items"
    ]
    assert (row["payee"], row["payee_kind"]) == ("Blue Sky Rescue", "organization")
