"""The officials' plan pages, without JavaScript and with htmx: write a plan by level, read it,
activate it for an incident at a level (the tasks start as a project), see its history; bad
input comes back in place with the field named, in English or Chinese."""

import pytest

from core.models import OrgKind, Role
from tests.conftest import sign_in

pytestmark = pytest.mark.asyncio


async def _signed_in(prep):
    await sign_in(prep.client, prep.setup.official.email)
    return prep.client.cookies["csrftoken"]


def _plan_form(token, housing_id, office_id, **overrides):
    form = {
        "csrftoken": token,
        "name": "Flood plan",
        "incident_type": "flood",
        "rows.0.level": "4", "rows.0.title": "Open shelters",
        "rows.0.responsible_org_id": str(office_id), "rows.0.due_offset_days": "1",
        # A blank row in between is left out.
        "rows.1.level": "4", "rows.1.title": "", "rows.1.responsible_org_id": "",
        "rows.1.due_offset_days": "",
        "rows.2.level": "2", "rows.2.title": "Inspect dikes",
        "rows.2.responsible_org_id": str(housing_id), "rows.2.due_offset_days": "3",
        "rows.3.level": "1", "rows.3.title": "Call the army",
        "rows.3.responsible_org_id": str(office_id), "rows.3.due_offset_days": "0",
    }  # fmt: skip
    form.update(overrides)
    return form


async def test_an_official_writes_reads_and_activates_a_plan_without_javascript(prep):
    housing = await prep.factory.user(
        Role.official, org="Housing Bureau", org_kind=OrgKind.government
    )
    office = prep.setup.official.organization_id
    token = await _signed_in(prep)
    client = prep.client
    assert "Write a plan" in (await client.get("/plans")).text

    made = await client.post("/plans/new", data=_plan_form(token, housing.organization_id, office))
    assert made.status_code == 303, made.text
    plan_url = made.headers["location"]
    page = await client.get(plan_url)
    assert page.status_code == 200
    for text in ("Level IV", "Open shelters", "Level II", "Inspect dikes", "Housing Bureau"):
        assert text in page.text
    assert "Not activated yet." in page.text
    listed = await client.get("/plans")
    assert "Flood plan" in listed.text and "Level IV · Level II · Level I" in listed.text

    plan_id = int(plan_url.rstrip("/").rsplit("/", 1)[1])
    incident_id = prep.incident_id
    form_page = await client.get(f"/incidents/{incident_id}/plans?plan_id={plan_id}")
    assert form_page.status_code == 200 and f'value="{plan_id}" selected' in form_page.text
    activated = await client.post(
        f"/incidents/{incident_id}/plans",
        data={"csrftoken": token, "plan_id": str(plan_id), "level": "2"},
    )
    assert activated.status_code == 303, activated.text
    project = await client.get(activated.headers["location"])
    assert "Open shelters" in project.text and "Inspect dikes" in project.text
    assert "Call the army" not in project.text
    history = await client.get(plan_url)
    assert "River Floods" in history.text and "Not activated yet." not in history.text
    incident_page = await client.get(f"/incidents/{incident_id}/plans")
    assert "2 tasks started" in incident_page.text

    # The same level again is refused in place, as the block alone under htmx.
    again = await client.post(
        f"/incidents/{incident_id}/plans",
        data={"csrftoken": token, "plan_id": str(plan_id), "level": "2"},
        headers={"HX-Request": "true"},
    )
    assert again.status_code == 422
    assert "already runs at Level II" in again.text and "<html" not in again.text


async def test_a_bad_plan_form_names_the_field_in_the_users_language(prep):
    office = prep.setup.official.organization_id
    token = await _signed_in(prep)
    form = _plan_form(token, office, office, name="", **{"rows.2.due_offset_days": "-4"})
    refused = await prep.client.post("/plans/new", data=form)
    assert refused.status_code == 422
    assert 'id="e-name"' in refused.text and 'id="e-rows.1.due_offset_days"' in refused.text
    # The rows come back as typed, blank row left out, so the message sits on its row.
    assert 'value="Inspect dikes"' in refused.text
    nothing = await prep.client.post(
        "/plans/new", data={"csrftoken": token, "name": "Empty", "incident_type": "flood"}
    )
    assert nothing.status_code == 422
    zh = await prep.client.post("/plans/new", data=form, headers={"Accept-Language": "zh-CN"})
    assert zh.status_code == 422 and "应急预案" in zh.text
    assert (await prep.client.get("/api/v1/plans/1", headers=prep.official)).status_code == 404


async def test_another_agencys_official_cannot_activate_a_plan_for_the_incident(prep):
    other = await prep.factory.user(Role.official, org="Hill Office", org_kind=OrgKind.government)
    await sign_in(prep.client, other.email)
    token = prep.client.cookies["csrftoken"]
    page = await prep.client.get(f"/incidents/{prep.incident_id}/plans")
    assert page.status_code == 403
    refused = await prep.client.post(
        f"/incidents/{prep.incident_id}/plans", data={"csrftoken": token, "level": "2"}
    )
    assert refused.status_code == 403
    assert (await prep.client.get("/plans")).status_code == 200


async def test_an_unknown_organization_is_marked_on_its_row(prep):
    # The service names the task by level and place in it; the form shows it on the row.
    office = prep.setup.official.organization_id
    token = await _signed_in(prep)
    form = _plan_form(token, office, office, **{"rows.3.responsible_org_id": "999"})
    refused = await prep.client.post("/plans/new", data=form)
    assert refused.status_code == 422
    assert 'id="e-rows.2.responsible_org_id"' in refused.text
    assert "not a verified organization" in refused.text
