"""The administrator's pages: organizations, users and the audit log."""

import pytest
from sqlalchemy import select

from core.models import AuditEntry, Role
from tests.conftest import PASSWORD, sign_in

pytestmark = pytest.mark.asyncio


async def test_admin_pages_need_admin_role(client, factory):
    volunteer = await factory.user(Role.volunteer)
    await sign_in(client, volunteer.email)
    for path in ("/admin/organizations", "/admin/users", "/admin/audit"):
        assert (await client.get(path)).status_code == 403
    client.cookies.clear()
    assert (await client.get("/admin/users")).status_code == 303
    admin = await factory.user(Role.admin)
    await sign_in(client, admin.email)
    for path in ("/admin/organizations", "/admin/users", "/admin/audit"):
        assert (await client.get(path)).status_code == 200


async def test_admin_verifies_in_browser_and_deactivates_user(client, factory):
    member = await factory.user(Role.ngo, verified=False, org="Mountain Aid")
    admin = await factory.user(Role.admin)
    await sign_in(client, admin.email)
    page = await client.get("/admin/organizations")
    assert "Mountain Aid" in page.text
    token = client.cookies["csrftoken"]
    response = await client.post(
        f"/admin/organizations/{member.organization_id}/verify",
        data={"csrftoken": token, "action": "verify"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and "Renew verification" in response.text
    response = await client.post(
        f"/admin/users/{member.id}/active", data={"csrftoken": token, "active": "0"}
    )
    assert response.status_code == 303
    client.cookies.clear()
    other = await client.post(
        "/api/v1/auth/token", json={"email": member.email, "password": PASSWORD}
    )
    assert other.status_code == 401
    async with factory.app.state.database.session() as session:
        actions = list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert "organization.verify" in actions and "user.deactivate" in actions


async def test_row_actions_under_htmx_answer_with_only_the_row(client, factory):
    member = await factory.user(Role.ngo, verified=False, org="River Aid")
    admin = await factory.user(Role.admin)
    await sign_in(client, admin.email)
    token = client.cookies["csrftoken"]
    htmx = {"HX-Request": "true"}
    response = await client.post(
        f"/admin/organizations/{member.organization_id}/verify",
        data={"csrftoken": token, "action": "reject", "reason": "No such NGO is registered."},
        headers=htmx,
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith(f'<tr id="org-{member.organization_id}">')
    assert "Rejected" in response.text and "<html" not in response.text
    response = await client.post(
        f"/admin/users/{member.id}/active", data={"csrftoken": token, "active": "0"}, headers=htmx
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith(f'<tr id="user-{member.id}">')
    assert "Reactivate" in response.text and "River Aid" in response.text
    response = await client.post(
        f"/admin/users/{member.id}/active", data={"csrftoken": token, "active": "1"}, headers=htmx
    )
    assert "Deactivate" in response.text


async def test_admin_cannot_deactivate_themselves(client, factory):
    admin = await factory.user(Role.admin)
    await sign_in(client, admin.email)
    response = await client.post(
        f"/admin/users/{admin.id}/active",
        data={"csrftoken": client.cookies["csrftoken"], "active": "0"},
    )
    assert response.status_code == 400
    assert "You cannot deactivate yourself." in response.text
    assert (await client.get("/admin/users")).status_code == 200
