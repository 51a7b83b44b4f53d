"""An NGO's "Our tasks": every task its organization is responsible for, overdue first."""

from datetime import timedelta

import pytest
from lxml import html

from core import clock
from core.models import OrgKind, Role
from tests.conftest import sign_in

pytestmark = pytest.mark.asyncio


async def test_our_tasks_lists_the_organizations_tasks_overdue_first(client, factory, setup):
    builder = await factory.user(Role.ngo, org="Harbour Builders", org_kind=OrgKind.company)
    other = await factory.user(Role.ngo, org="Blue Sky Rescue")
    school = await setup.project(title="Rebuild Willow school")
    bridge = await setup.project(title="Repair the east bridge")
    await setup.task(school["id"], builder.organization_id, due_in_days=20, title="Roof")
    await setup.task(bridge["id"], builder.organization_id, due_in_days=3, title="Piers")
    await setup.task(school["id"], builder.organization_id, due_in_days=10, title="Walls")
    await setup.task(school["id"], other.organization_id, due_in_days=1, title="Not ours")
    # Two weeks on, "Piers" is 11 days late and "Walls" 4: most late first, then by due date.
    clock.set_clock(clock.utcnow() + timedelta(days=14))
    try:
        await sign_in(client, builder.email)
        response = await client.get("/tasks/ours")
    finally:
        clock.set_clock(None)
    assert response.status_code == 200
    page = html.fromstring(response.text)
    titles = [a.text for a in page.xpath("//tbody/tr/td[1]/a")]
    assert titles == ["Piers", "Walls", "Roof"]
    late = [" ".join(td.text_content().split()) for td in page.xpath("//tbody/tr/td[3]")]
    assert "11 days late" in late[0] and "4 days late" in late[1] and "late" not in late[2]
    assert "2 tasks are overdue." in response.text
    assert page.xpath("//tbody/tr[1]/td[2]/a/text()") == ["Repair the east bridge"]
    # The NGO's navigation leads here.
    assert page.xpath("//nav//a[contains(@href, '/tasks/ours')]")


async def test_our_tasks_in_chinese_and_for_an_organization_with_none(client, factory, setup):
    ngo = await factory.user(Role.ngo, org="Quiet Helpers")
    await sign_in(client, ngo.email)
    response = await client.get("/tasks/ours", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 200
    assert "我们的任务" in response.text and "尚未负责任何任务" in response.text


async def test_our_tasks_needs_a_verified_organization(client, factory):
    pending = await factory.user(Role.ngo, verified=False)
    volunteer = await factory.user(Role.volunteer)
    assert (await client.get("/tasks/ours")).status_code in (302, 303)
    await sign_in(client, volunteer.email)
    assert (await client.get("/tasks/ours")).status_code == 403
    client.cookies.clear()
    await sign_in(client, pending.email)
    assert (await client.get("/tasks/ours")).status_code == 403
