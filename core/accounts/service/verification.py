"""What an organization gives for its verification (registration number, documents), what an
administrator sees of it, and the mail that tells the applicant the outcome."""

import secrets
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from core import audit, notifications
from core.errors import InvalidInput, NotFound
from core.i18n import _
from core.models import Organization, OrganizationDocument, OrgStatus, User
from core.settings import Settings
from core.web import upload_path

FOLDER = "organizations"
MAX_DOCUMENTS = 5
# The first bytes of each accepted kind of file: what a file is, whatever its name says.
KINDS = {b"%PDF-": ("application/pdf", ".pdf"), b"\x89PNG\r\n\x1a\n": ("image/png", ".png"),
         b"\xff\xd8\xff": ("image/jpeg", ".jpg")}  # fmt: skip


def _refuse(message: str) -> InvalidInput:
    return InvalidInput(message, fields={"document": message})


async def members(session: AsyncSession, org_id: int) -> list[User]:
    """The organization's accounts, first applicant first."""
    rows = await session.scalars(
        select(User).where(User.organization_id == org_id).order_by(User.created_at, User.id)
    )
    return list(rows)


async def documents(session: AsyncSession, org_id: int) -> list[OrganizationDocument]:
    rows = await session.scalars(
        select(OrganizationDocument)
        .where(OrganizationDocument.organization_id == org_id)
        .order_by(OrganizationDocument.id)
    )
    return list(rows)


async def details(session: AsyncSession, orgs: list[Organization]) -> dict[int, dict]:
    """Per organization, for the administrator: its members (the applicant first) and its
    documents."""
    return {
        org.id: {
            "members": await members(session, org.id),
            "documents": await documents(session, org.id),
        }
        for org in orgs
    }


async def get_document(session: AsyncSession, org_id: int, doc_id: int) -> OrganizationDocument:
    doc = await session.get(OrganizationDocument, doc_id)
    if doc is None or doc.organization_id != org_id:
        raise NotFound(_("No such document."))
    return doc


def document_path(settings: Settings, doc: OrganizationDocument) -> Path:
    return Path(settings.upload_dir, FOLDER, doc.stored_name)


async def give_details(
    session: AsyncSession,
    settings: Settings,
    org: Organization,
    *,
    registration_number: str | None,
    upload: object,
    actor: User,
) -> Organization:
    """Save the registration number and, if one was chosen, a document; an organization that
    was rejected goes back to pending, to be looked at again."""
    before = audit.snapshot(org)
    number = (registration_number or "").strip()
    if len(number) > 100:
        raise InvalidInput(
            _("At most 100 characters."), fields={"registration_number": _("too long")}
        )
    org.registration_number = number or None
    if isinstance(upload, UploadFile) and upload.filename:
        await _store(session, settings, org, upload, actor)
    if org.status == OrgStatus.rejected:
        org.status = OrgStatus.pending
    await session.flush()
    await audit.record(
        session, actor=actor, action="organization.details", obj=org, before=before,
        after=audit.snapshot(org),
    )  # fmt: skip
    return org


async def _store(session, settings: Settings, org, upload: UploadFile, actor: User) -> None:
    count = await session.scalar(
        select(func.count())
        .select_from(OrganizationDocument)
        .where(OrganizationDocument.organization_id == org.id)
    )
    if (count or 0) >= MAX_DOCUMENTS:
        raise _refuse(_("At most %(count)s documents.") % {"count": MAX_DOCUMENTS})
    limit = settings.organization_document_max_bytes
    try:
        content = await upload.read(limit + 1)
    finally:
        await upload.close()
    if len(content) > limit:
        raise _refuse(
            _("The document is too large (at most %(mb)s MB).") % {"mb": limit // 1048576}
        )
    kind = next((v for magic, v in KINDS.items() if content.startswith(magic)), None)
    if kind is None:
        raise _refuse(_("Send the document as PDF, JPEG or PNG."))
    content_type, suffix = kind
    stored = secrets.token_hex(16) + suffix
    upload_path(settings, FOLDER, stored).write_bytes(content)
    session.add(
        OrganizationDocument(
            organization_id=org.id,
            filename=Path(upload.filename or "document").name[-200:],
            stored_name=stored,
            content_type=content_type,
            size=len(content),
            uploaded_by_id=actor.id,
        )
    )


async def tell_members(session: AsyncSession, org: Organization) -> None:
    """Mail every member (each in their language) whether the organization was verified."""

    def compose() -> tuple[str, str]:
        if org.status == OrgStatus.verified:
            return (
                _("%(name)s is verified") % {"name": org.name},
                _(
                    "An administrator verified %(name)s. Its members can now act on the "
                    "platform: sign in to see your organization's work."
                )
                % {"name": org.name},
            )
        return (
            _("%(name)s was not verified") % {"name": org.name},
            _(
                "An administrator did not verify %(name)s, for this reason:\n\n%(reason)s\n\n"
                "You can give more details and documents on your account page; the "
                "organization is then looked at again."
            )
            % {"name": org.name, "reason": org.rejection_reason or ""},
        )

    await notifications.queue_for_organization(
        session, organization_id=org.id, kind="organization.decision", compose=compose
    )
