"""The account's own time zone: chosen from the full IANA list, used where no incident is."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from core.models import AuditEntry, Role, User
from tests.conftest import sign_in

pytestmark = pytest.mark.asyncio


async def test_account_offers_every_iana_zone(client, factory):
    user = await factory.user(Role.volunteer)
    await sign_in(client, user.email)
    page = await client.get("/account")
    assert page.status_code == 200
    assert page.text.count("<option value=") > 300
    for name in ("America/New_York", "Asia/Shanghai", "Europe/Berlin", "Pacific/Auckland"):
        assert f'<option value="{name}"' in page.text


async def test_admin_reads_the_audit_log_in_their_chosen_zone(client, factory, db):
    admin = await factory.user(Role.admin)
    await sign_in(client, admin.email)
    token = client.cookies["csrftoken"]
    saved = await client.post(
        "/account/time-zone", data={"csrftoken": token, "time_zone": "America/New_York"}
    )
    assert saved.status_code == 303, saved.text
    assert (await db.get(User, admin.id, populate_existing=True)).time_zone == "America/New_York"
    entry = (
        await db.scalars(select(AuditEntry).where(AuditEntry.action == "user.time_zone"))
    ).one()
    assert entry.after == {"time_zone": "America/New_York"} and entry.actor_id == admin.id
    await db.execute(
        update(AuditEntry)
        .where(AuditEntry.id == entry.id)
        .values(at=datetime(2026, 3, 16, 2, 0, tzinfo=UTC))
    )
    await db.commit()
    audit = await client.get("/admin/audit")
    assert "(America/New_York)" in audit.text
    # 02:00 UTC on 16 March is 22:00 the evening before in New York (daylight time).
    assert "Mar 15, 2026, 10:00\u202fPM" in audit.text


async def test_an_unknown_zone_is_refused_by_field_in_the_users_language(client, factory):
    user = await factory.user(Role.donor)
    await sign_in(client, user.email)
    token = client.cookies["csrftoken"]
    refused = await client.post(
        "/account/time-zone",
        data={"csrftoken": token, "time_zone": "Mars/Olympus_Mons"},
        headers={"HX-Request": "true", "Accept-Language": "zh-CN"},
    )
    assert refused.status_code == 422
    assert 'aria-invalid="true" aria-describedby="e-time_zone"' in refused.text
    assert "请从列表中选择时区。" in refused.text
