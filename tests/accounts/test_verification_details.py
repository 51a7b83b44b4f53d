"""Verifying an organization: the applicant's details and documents, a reason to reject, and
the mail that tells the members the outcome."""

import pytest
from lxml import html
from sqlalchemy import select

from core.models import Organization, OrganizationDocument, OutboxMessage, Role
from tests.conftest import sign_in

pytestmark = pytest.mark.asyncio
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


async def _give(client, **files):
    return await client.post(
        "/account/organization",
        data={"csrftoken": client.cookies["csrftoken"], "registration_number": "52110000MJ0001"},
        files=files,
    )


async def test_applicant_gives_details_and_the_admin_sees_them(app, client, factory, register):
    registered = await register(client, registration_number="52110000MJ0000")
    assert registered.status_code == 201, registered.text
    await sign_in(client, "ngo@example.org")
    page = await client.get("/account")
    assert "Details for the verification" in page.text and "52110000MJ0000" in page.text
    saved = await _give(client, document=("licence.pdf", PDF, "application/pdf"))
    assert saved.status_code == 200 and "licence.pdf" in saved.text
    # Not a PDF, JPEG or PNG, whatever its name says; and too large.
    bad = await _give(client, document=("x.pdf", b"MZ\x90\x00 not a pdf", "application/pdf"))
    assert bad.status_code == 422 and "PDF, JPEG or PNG" in bad.text
    # (A small limit: the CSRF check's multipart parser would spool a large test file to disk.)
    app.state.settings.organization_document_max_bytes = 1000
    large = PDF + b"0" * 1000
    too_big = await _give(client, document=("big.pdf", large, "application/pdf"))
    assert too_big.status_code == 422 and "The document is too large" in too_big.text
    app.state.settings.organization_document_max_bytes = 5 * 1024 * 1024

    client.cookies.clear()
    admin = await factory.user(Role.admin)
    await sign_in(client, admin.email)
    page = html.fromstring((await client.get("/admin/organizations?status=pending")).text)
    row = page.xpath("//tr[td[text()='Blue Sky Rescue']]")[0]
    text = " ".join(row.text_content().split())
    assert "Li Na" in text and "ngo@example.org" in text and "52110000MJ0001" in text
    link = row.xpath(".//a[text()='licence.pdf']/@href")[0]
    document = await client.get(link)
    assert document.status_code == 200 and document.content == PDF
    assert document.headers["content-type"] == "application/pdf"
    client.cookies.clear()
    assert (await client.get(link)).status_code in (302, 303)


async def test_rejection_needs_a_reason_and_mails_it_to_the_members(client, factory):
    member = await factory.user(Role.ngo, verified=False, org="Hill Aid", name="Zhou Li")
    admin = await factory.user(Role.admin)
    await sign_in(client, admin.email)
    token = client.cookies["csrftoken"]
    path = f"/admin/organizations/{member.organization_id}/verify"
    htmx = {"HX-Request": "true"}
    refused = await client.post(path, data={"csrftoken": token, "action": "reject"}, headers=htmx)
    assert refused.status_code == 422
    assert "required to reject" in refused.text and refused.text.lstrip().startswith("<tr")
    reason = "The registration number does not match the civil affairs register."
    rejected = await client.post(
        path, data={"csrftoken": token, "action": "reject", "reason": reason}, headers=htmx
    )
    assert rejected.status_code == 200 and reason in rejected.text
    async with factory.app.state.database.session() as session:
        org = await session.get(Organization, member.organization_id)
        assert org.status == "rejected" and org.rejection_reason == reason
        mail = list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.to_email == member.email)
            )
        )
    assert [m.kind for m in mail] == ["organization.decision"]
    assert mail[0].subject == "Hill Aid was not verified" and reason in mail[0].body

    # The member sees the reason, gives more details, and is looked at again.
    client.cookies.clear()
    await sign_in(client, member.email)
    page = await client.get("/account")
    assert reason in page.text
    assert (await _give(client)).status_code == 200
    async with factory.app.state.database.session() as session:
        assert (await session.get(Organization, member.organization_id)).status == "pending"

    client.cookies.clear()
    await sign_in(client, admin.email)
    verified = await client.post(
        path, data={"csrftoken": client.cookies["csrftoken"], "action": "verify"}, headers=htmx
    )
    assert verified.status_code == 200
    async with factory.app.state.database.session() as session:
        subjects = list(
            await session.scalars(
                select(OutboxMessage.subject)
                .where(OutboxMessage.to_email == member.email)
                .order_by(OutboxMessage.id)
            )
        )
        assert (await session.get(Organization, member.organization_id)).rejection_reason is None
    assert subjects[-1] == "Hill Aid is verified"


async def test_the_outcome_mail_is_in_the_members_language(client, factory):
    member = await factory.user(Role.ngo, verified=False, org="Lake Aid")
    await sign_in(client, member.email)
    await client.post(
        "/language", data={"csrftoken": client.cookies["csrftoken"], "locale": "zh_Hans"}
    )
    client.cookies.clear()
    admin = await factory.user(Role.admin)
    await sign_in(client, admin.email)
    await client.post(
        f"/admin/organizations/{member.organization_id}/verify",
        data={"csrftoken": client.cookies["csrftoken"], "action": "verify"},
    )
    async with factory.app.state.database.session() as session:
        mail = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.to_email == member.email)
        )
    assert mail.subject == "Lake Aid 已通过认证"


async def test_only_a_waiting_organization_gives_details(client, factory):
    verified = await factory.user(Role.ngo)
    volunteer = await factory.user(Role.volunteer)
    await sign_in(client, verified.email)
    assert (await _give(client)).status_code == 403
    client.cookies.clear()
    await sign_in(client, volunteer.email)
    assert (await _give(client)).status_code == 403
    async with factory.app.state.database.session() as session:
        assert not list(await session.scalars(select(OrganizationDocument)))
