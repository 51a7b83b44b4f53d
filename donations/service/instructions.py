"""Per-incident payment instructions: where donors send money, and the reference to quote."""

from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.clock import utcnow
from core.i18n import current_locale
from core.models import User
from donations.models import PaymentInstructions
from donations.schemas import PaymentInstructionsSet
from recovery.service import ensure_can_act, get_incident


async def get_instructions(session: AsyncSession, incident_id: int) -> PaymentInstructions | None:
    return await session.get(PaymentInstructions, incident_id)


async def set_instructions(
    session: AsyncSession, *, incident_id: int, data: PaymentInstructionsSet, actor: User
) -> PaymentInstructions:
    """Replace the incident's instructions; the audit row keeps what they said before."""
    await get_incident(session, incident_id)
    await ensure_can_act(session, actor, incident_id)
    row = await get_instructions(session, incident_id)
    before = audit.snapshot(row) if row is not None else None
    if row is None:
        row = PaymentInstructions(incident_id=incident_id, **data.model_dump())
        session.add(row)
    else:
        for name, value in data.model_dump().items():
            setattr(row, name, value)
    row.updated_by_id = actor.id
    row.updated_at = utcnow()
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="payment_instructions.set",
        obj=row,
        object_id=incident_id,
        before=before,
        after=audit.snapshot(row),
    )
    return row


def local_text(row: PaymentInstructions | None) -> str:
    """The free text in the reader's language, else the other one."""
    if row is None:
        return ""
    chinese = str(current_locale.get()).startswith("zh")
    first, second = (row.text_zh, row.text_en) if chinese else (row.text_en, row.text_zh)
    return first or second
