"""Password reset: a one-time link by mail, a new password with it, over the API and the pages."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.accounts.models import PasswordReset
from core.models import AuditEntry, OutboxMessage, Role
from tests.conftest import PASSWORD, csrf_token, sign_in

pytestmark = pytest.mark.asyncio

NEW_PASSWORD = "a brand new passphrase"
LINK = re.compile(r"http://127\.0\.0\.1:8000/password-reset/(\S+)")


async def outbox(app) -> list[OutboxMessage]:
    async with app.state.database.session() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def reset_token(client, app, email: str) -> str:
    response = await client.post("/api/v1/auth/password-reset", json={"email": email})
    assert response.status_code == 202
    mails = [m for m in await outbox(app) if m.to_email == email]
    found = LINK.search(mails[-1].body)
    assert found, mails[-1].body
    return found[1]


async def token_login(client, email: str, password: str) -> int:
    response = await client.post("/api/v1/auth/token", json={"email": email, "password": password})
    return response.status_code


async def test_unknown_email_is_accepted_and_sends_nothing(client, app):
    response = await client.post(
        "/api/v1/auth/password-reset", json={"email": "nobody@example.org"}
    )
    assert response.status_code == 202
    assert response.json()["message"]
    assert await outbox(app) == []


async def test_known_email_gets_a_mail_with_a_link(client, app, factory):
    user = await factory.user(Role.volunteer)
    response = await client.post("/api/v1/auth/password-reset", json={"email": user.email})
    assert response.status_code == 202
    assert (
        response.json()
        == (
            await client.post("/api/v1/auth/password-reset", json={"email": "x@example.org"})
        ).json()
    )
    [mail] = await outbox(app)
    assert mail.to_email == user.email and mail.user_id == user.id
    assert mail.kind == "accounts.password_reset"
    token = LINK.search(mail.body)[1]
    async with app.state.database.session() as session:
        reset = await session.scalar(select(PasswordReset))
    assert token not in reset.token_hash and len(reset.token_hash) == 64
    assert reset.expires_at - reset.created_at == timedelta(hours=1)
    assert reset.used_at is None


async def test_deactivated_account_gets_no_mail(client, app, factory):
    user = await factory.user(Role.donor)
    admin = await factory.user(Role.admin)
    await sign_in(client, admin.email)
    token = client.cookies["csrftoken"]
    await client.post(f"/admin/users/{user.id}/active", data={"csrftoken": token, "active": "0"})
    client.cookies.clear()
    response = await client.post("/api/v1/auth/password-reset", json={"email": user.email})
    assert response.status_code == 202
    assert [m for m in await outbox(app) if m.to_email == user.email] == []


async def test_mail_is_written_in_the_users_language(client, app, factory):
    user = await factory.user(Role.volunteer)
    await sign_in(client, user.email)
    await client.post(
        "/language", data={"csrftoken": client.cookies["csrftoken"], "locale": "zh_Hans"}
    )
    client.cookies.clear()
    await client.post("/api/v1/auth/password-reset", json={"email": user.email})
    [mail] = await outbox(app)
    assert mail.subject == "设置新密码"
    assert LINK.search(mail.body)


async def test_confirm_changes_the_password_and_revokes_tokens(client, app, factory):
    user = await factory.user(Role.volunteer)
    headers = await factory.token(user)
    token = await reset_token(client, app, user.email)
    response = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD}
    )
    assert response.status_code == 204
    assert await token_login(client, user.email, PASSWORD) == 401
    assert await token_login(client, user.email, NEW_PASSWORD) == 200
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 401
    async with app.state.database.session() as session:
        reset = await session.scalar(select(PasswordReset))
        actions = list(await session.scalars(select(AuditEntry.action)))
    assert reset.used_at is not None
    assert "user.password_reset" in actions


async def test_a_link_works_once(client, app, factory):
    user = await factory.user(Role.donor)
    token = await reset_token(client, app, user.email)
    body = {"token": token, "password": NEW_PASSWORD}
    assert (await client.post("/api/v1/auth/password-reset/confirm", json=body)).status_code == 204
    again = await client.post(
        "/api/v1/auth/password-reset/confirm", json={**body, "password": "yet another one!"}
    )
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "reset_token_invalid"
    assert "token" in again.json()["error"]["fields"]
    assert await token_login(client, user.email, NEW_PASSWORD) == 200


async def test_an_older_link_is_used_up_by_a_newer_one(client, app, factory):
    user = await factory.user(Role.donor)
    first = await reset_token(client, app, user.email)
    second = await reset_token(client, app, user.email)
    body = {"token": second, "password": NEW_PASSWORD}
    assert (await client.post("/api/v1/auth/password-reset/confirm", json=body)).status_code == 204
    stale = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": first, "password": NEW_PASSWORD}
    )
    assert stale.status_code == 400


async def test_an_expired_link_is_refused(client, app, factory, test_clock):
    user = await factory.user(Role.donor)
    token = await reset_token(client, app, user.email)
    test_clock.advance(timedelta(hours=1, minutes=1))
    response = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD}
    )
    assert response.status_code == 400
    assert "token" in response.json()["error"]["fields"]
    assert await token_login(client, user.email, PASSWORD) == 200


async def test_an_unknown_token_is_refused(client):
    response = await client.post(
        "/api/v1/auth/password-reset/confirm",
        json={"token": "made-up", "password": NEW_PASSWORD},
    )
    assert response.status_code == 400
    assert "token" in response.json()["error"]["fields"]


async def test_a_short_password_is_refused_naming_the_field(client, app, factory):
    user = await factory.user(Role.donor)
    token = await reset_token(client, app, user.email)
    response = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": "short"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["password"] == (
        "Password must be at least 10 characters"
    )
    assert await token_login(client, user.email, PASSWORD) == 200


async def test_requests_per_address_are_limited(client, app, factory):
    user = await factory.user(Role.donor)
    for _ in range(12):
        response = await client.post("/api/v1/auth/password-reset", json={"email": user.email})
        assert response.status_code == 202
    assert len(await outbox(app)) == 10


async def test_sign_in_page_links_to_the_reset_page(client):
    page = await client.get("/login")
    assert '/password-reset"' in page.text
    assert "Forgot your password?" in page.text


async def test_reset_in_the_browser(client, app, factory):
    user = await factory.user(Role.volunteer)
    token = await csrf_token(client, "/password-reset")
    response = await client.post("/password-reset", data={"csrftoken": token, "email": user.email})
    assert response.status_code == 303
    sent = await client.get(response.headers["location"])
    assert "a link to choose a new password is on its way" in sent.text
    [mail] = await outbox(app)
    path = "/password-reset/" + LINK.search(mail.body)[1]

    page = await client.get(path)
    assert page.status_code == 200 and 'name="password"' in page.text
    short = await client.post(path, data={"csrftoken": token, "password": "short"})
    assert short.status_code == 422 and 'id="e-password"' in short.text
    response = await client.post(path, data={"csrftoken": token, "password": NEW_PASSWORD})
    assert response.status_code == 303
    assert "/login?reset=1" in response.headers["location"]
    assert "Your password has been changed" in (await client.get(response.headers["location"])).text
    assert (await sign_in(client, user.email, NEW_PASSWORD)).status_code == 303

    used = await client.get(path)
    assert "unknown, used or expired" in used.text and 'name="password"' not in used.text
    again = await client.post(path, data={"csrftoken": token, "password": NEW_PASSWORD})
    assert again.status_code == 422


async def test_reset_pages_in_chinese(client, factory):
    page = await client.get("/password-reset", headers={"Accept-Language": "zh-CN"})
    assert "忘记密码" in page.text
    page = await client.get("/password-reset/unknown", headers={"Accept-Language": "zh-CN"})
    assert "设置新密码" in page.text


async def test_invalid_email_names_the_field(client):
    response = await client.post("/api/v1/auth/password-reset", json={"email": "not-an-email"})
    assert response.status_code == 422
    assert "email" in response.json()["error"]["fields"]
