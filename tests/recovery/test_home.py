"""Each role's home page after sign-in: what that person must do now."""

from datetime import timedelta

import pytest
from lxml import html
from sqlalchemy import select

from core import clock
from core.cli import load_demo
from core.demo import DEMO_PASSWORD, PEOPLE
from core.models import OrgKind, Role
from residents.models import HelpRequest
from tests.conftest import sign_in

pytestmark = pytest.mark.asyncio
EMAILS = {key: email for key, email, *_rest in PEOPLE}


def _section(page, heading_id: str) -> str:
    found = page.xpath(f"//section[h2[@id='{heading_id}']]")
    assert found, heading_id
    return " ".join(found[0].text_content().split())


async def test_sign_in_lands_on_the_home_page(client, factory):
    donor = await factory.user(Role.donor)
    response = await sign_in(client, donor.email)
    assert response.status_code == 303 and response.headers["location"].endswith("/home")
    page = html.fromstring((await client.get("/home")).text)
    assert "You have not given money yet." in _section(page, "h-gifts")


async def test_pending_organization_sees_its_account_page(client, factory):
    pending = await factory.user(Role.ngo, verified=False)
    await sign_in(client, pending.email)
    response = await client.get("/home")
    assert response.status_code == 303 and response.headers["location"].endswith("/account")
    client.cookies.clear()
    assert (await client.get("/home")).status_code in (302, 303)  # to the sign-in page


async def test_official_and_ngo_see_overdue_work_and_their_tasks(client, factory, setup):
    builder = await factory.user(Role.ngo, org="Harbour Builders", org_kind=OrgKind.company)
    project = await setup.project(title="Rebuild Willow school")
    await setup.task(project["id"], builder.organization_id, due_in_days=2, title="Roof")
    await setup.task(project["id"], builder.organization_id, due_in_days=30, title="Walls")
    await setup.need(title="Water tanks")
    clock.set_clock(clock.utcnow() + timedelta(days=5))
    try:
        await sign_in(client, setup.official.email)
        official = html.fromstring((await client.get("/home")).text)
        client.cookies.clear()
        await sign_in(client, builder.email)
        ngo = html.fromstring((await client.get("/home")).text)
    finally:
        clock.set_clock(None)
    overdue = _section(official, "h-overdue")
    assert "Overdue work 1" in overdue and "Roof" in overdue and "3 days late" in overdue
    assert "Walls" not in overdue
    # Logged 5 days ago: no longer new, but still an open need nobody offers for.
    assert "Water tanks" not in _section(official, "h-new-needs")
    assert "Water tanks" in _section(official, "h-unserved")
    tasks = _section(ngo, "h-our-tasks")
    assert tasks.index("Roof") < tasks.index("Walls") and "1 overdue" in tasks
    assert not ngo.xpath("//h2[@id='h-overdue']")  # the office's view is not the NGO's


async def test_every_demo_role_gets_its_panels_in_both_languages(settings, client, db):
    assert await load_demo(settings)
    contact = await db.scalar(
        select(HelpRequest.contact_name).where(HelpRequest.contact_name.isnot(None))
    )
    await db.rollback()
    panels = {
        "official": [
            "h-overdue",
            "h-new-needs",
            "h-triage",
            "h-proposals",
            "h-unserved",
            "h-money",
        ],
        "ngo": ["h-our-tasks", "h-deliver", "h-our-shifts"],
        "volunteer": ["h-next-shifts", "h-recommended"],
        "donor": ["h-gifts"],
    }
    for role, ids in panels.items():
        client.cookies.clear()
        await sign_in(client, EMAILS[role], DEMO_PASSWORD)
        for language, heading in (("en", "My work"), ("zh_Hans", "我的工作")):
            form = {"csrftoken": client.cookies["csrftoken"], "locale": language, "next": "/"}
            await client.post("/language", data=form)
            response = await client.get("/home")
            assert response.status_code == 200
            page = html.fromstring(response.text)
            assert page.xpath("//h1/text()") == [heading]
            assert [s.get("id") for s in page.xpath("//section/h2")] == ids, role
            if contact:
                assert contact not in response.text  # triage shows references, not people
    client.cookies.clear()
    await sign_in(client, EMAILS["volunteer"], DEMO_PASSWORD)
    page = html.fromstring((await client.get("/home")).text)
    assert page.xpath("//section[h2[@id='h-next-shifts']]//li/a")


async def test_the_officials_many_links_are_grouped_and_a_volunteers_are_not(settings, client):
    assert await load_demo(settings)
    await sign_in(client, EMAILS["official"], DEMO_PASSWORD)
    page = html.fromstring((await client.get("/home")).text)
    groups = page.xpath("//header//details[@class='nav-group']")
    names = [g.xpath("string(summary)") for g in groups]
    assert {"Recovery", "Offers and money", "Volunteers"} <= set(names)
    recovery = groups[names.index("Recovery")]
    assert {"Needs", "Projects", "Supervision"} <= set(recovery.xpath(".//a/text()"))
    # The bar itself holds a few entries, not every link.
    assert len(page.xpath("//header//ul[@class='nav']/li")) <= 9
    client.cookies.clear()
    await sign_in(client, EMAILS["volunteer"], DEMO_PASSWORD)
    page = html.fromstring((await client.get("/home")).text)
    assert not page.xpath("//header//details")
    assert "My volunteering" in page.xpath("//header//ul[@class='nav']/li/a/text()")
