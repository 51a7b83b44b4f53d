"""The demo data set: agencies, NGOs and people, then each domain's own demo data (idempotent)."""

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.auth import hash_password
from core.clock import utcnow
from core.db import Database
from core.domain import DemoLoader
from core.models import Organization, OrgKind, OrgStatus, Role, User
from core.settings import Settings

DEMO_PASSWORD = "demo-password"
ADMIN_EMAIL = "admin@demo.example.org"
# Demo accounts once lived under `.local`, which email validation refuses (a password reset
# for them answered 422); a database loaded then gets the reserved example.org domain instead.
LEGACY_DOMAIN = "@demo.recovery.local"
DEMO_DOMAIN = "@demo.example.org"


@dataclass
class DemoContext:
    """What the kernel's demo created, by key, for the domains' demo loaders to build on."""

    settings: Settings
    users: dict[str, User] = field(default_factory=dict)
    orgs: dict[str, Organization] = field(default_factory=dict)
    data: dict[str, object] = field(default_factory=dict)


ORGS = [
    ("recovery_office", "Riverside County Recovery Office", OrgKind.government),
    ("housing_bureau", "Riverside Housing Bureau", OrgKind.government),
    ("health_bureau", "Riverside Health Bureau", OrgKind.government),
    ("red_cross", "Riverside Red Cross", OrgKind.ngo),
    ("blue_sky", "Blue Sky Rescue Team", OrgKind.ngo),
    ("builders", "Harbour Builders Co.", OrgKind.company),
    ("village_committee", "Willow Village Committee", OrgKind.community),
]

PEOPLE = [
    ("admin", ADMIN_EMAIL, "Platform Admin", Role.admin, None),
    ("official", "official@demo.example.org", "Chen Wei", Role.official, "recovery_office"),
    ("housing", "housing@demo.example.org", "Zhao Min", Role.official, "housing_bureau"),
    ("ngo", "ngo@demo.example.org", "Liu Yang", Role.ngo, "red_cross"),
    ("ngo2", "blue.sky@demo.example.org", "Sun Li", Role.ngo, "blue_sky"),
    ("builder", "builder@demo.example.org", "Guo Qiang", Role.ngo, "builders"),
    ("village", "village@demo.example.org", "He Ping", Role.ngo, "village_committee"),
    ("volunteer", "volunteer@demo.example.org", "Wang Fang", Role.volunteer, None),
    ("volunteer2", "volunteer2@demo.example.org", "Li Jun", Role.volunteer, None),
    ("volunteer3", "volunteer3@demo.example.org", "Zhou Xin", Role.volunteer, None),
    ("donor", "donor@demo.example.org", "Ma Lin", Role.donor, None),
    ("company_donor", "giving@demo.example.org", "Eastern Textiles Ltd.", Role.donor, None),
]


async def _kernel(session: AsyncSession, ctx: DemoContext) -> None:
    now = utcnow()
    from datetime import timedelta

    for key, name, kind in ORGS:
        org = Organization(
            name=name,
            kind=kind,
            status=OrgStatus.verified,
            verified_at=now,
            verified_until=now + timedelta(days=ctx.settings.verification_valid_days),
        )
        session.add(org)
        ctx.orgs[key] = org
    await session.flush()
    password_hash = await hash_password(DEMO_PASSWORD)
    for key, email, name, role, org_key in PEOPLE:
        user = User(
            email=email,
            name=name,
            password_hash=password_hash,
            role=role,
            organization_id=ctx.orgs[org_key].id if org_key else None,
        )
        session.add(user)
        ctx.users[key] = user
    await session.flush()
    for org in ctx.orgs.values():
        org.verified_by_id = ctx.users["admin"].id
    await audit.record(session, actor=None, action="demo.load", object_type="demo")


async def load(database: Database, loaders: Sequence[DemoLoader]) -> bool:
    """Load the demo once, the kernel's part then each domain's; False when already there."""
    async with database.transaction() as session:
        if await _move_legacy_accounts(session) or await session.scalar(
            select(User.id).where(User.email == ADMIN_EMAIL)
        ):
            return False
        ctx = DemoContext(settings=database.settings)
        await _kernel(session, ctx)
        for loader in loaders:
            await loader(session, ctx)
    return True


async def _move_legacy_accounts(session: AsyncSession) -> int:
    """Give the demo accounts of an older load their valid addresses; how many moved."""
    moved = await session.execute(
        update(User)
        .where(User.email.endswith(LEGACY_DOMAIN))
        .values(email=func.replace(User.email, LEGACY_DOMAIN, DEMO_DOMAIN))
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount:
        await audit.record(session, actor=None, action="demo.move_emails", object_type="demo")
    return moved.rowcount
