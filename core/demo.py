"""The demo data set: agencies, NGOs and people, then each domain's own demo data (idempotent)."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import NamedTuple

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.auth import hash_password
from core.clock import utcnow
from core.db import Database
from core.domain import DemoLoader
from core.i18n import LOCALES, negotiate
from core.models import Organization, OrgKind, OrgStatus, Role, User
from core.settings import Settings

DEMO_PASSWORD = "demo-password"
ADMIN_EMAIL = "admin@demo.example.org"
# Demo accounts once lived under `.local`, which email validation refuses (a password reset
# for them answered 422); a database loaded then gets the reserved example.org domain instead.
LEGACY_DOMAIN = "@demo.recovery.local"
DEMO_DOMAIN = "@demo.example.org"


class Text(NamedTuple):
    """One text of the demo data set, in each language it can be loaded in."""

    en: str
    zh: str


@dataclass
class DemoContext:
    """What the kernel's demo created, by key, for the domains' demo loaders to build on, and
    the language the data set is written in."""

    settings: Settings
    users: dict[str, User] = field(default_factory=dict)
    orgs: dict[str, Organization] = field(default_factory=dict)
    data: dict[str, object] = field(default_factory=dict)
    # "en" or "zh_Hans"; empty means the deployment's default locale.
    locale: str = ""

    def __post_init__(self) -> None:
        self.locale = demo_locale(self.locale or self.settings.default_locale)

    def pick(self, text: Text) -> str:
        """The text in the data set's language."""
        return text.zh if self.locale == "zh_Hans" else text.en


def demo_locale(value: str) -> str:
    """The demo language a locale code names ("zh", "zh-Hans", "en-GB" …); ValueError if none."""
    chosen = negotiate(value, default="")
    if chosen not in LOCALES:
        raise ValueError(f"no demo data set in {value!r}: choose one of {', '.join(LOCALES)}")
    return chosen


# A flood-hit county in Hubei, invented: the Chinese names are not those of a real county.
ORGS = [
    ("recovery_office", Text("Riverside County Recovery Office", "长湖县灾后恢复重建办公室"),
     OrgKind.government),
    ("housing_bureau", Text("Riverside Housing Bureau", "长湖县住房和城乡建设局"),
     OrgKind.government),
    ("health_bureau", Text("Riverside Health Bureau", "长湖县卫生健康局"), OrgKind.government),
    ("red_cross", Text("Riverside Red Cross", "长湖县红十字会"), OrgKind.ngo),
    ("blue_sky", Text("Blue Sky Rescue Team", "长湖蓝天救援队"), OrgKind.ngo),
    ("builders", Text("Harbour Builders Co.", "长湖港建工程有限公司"), OrgKind.company),
    ("village_committee", Text("Willow Village Committee", "柳林村村民委员会"),
     OrgKind.community),
]  # fmt: skip

PEOPLE = [
    ("admin", ADMIN_EMAIL, Text("Platform Admin", "平台管理员"), Role.admin, None),
    ("official", "official@demo.example.org", Text("Chen Wei", "陈伟"), Role.official,
     "recovery_office"),
    ("housing", "housing@demo.example.org", Text("Zhao Min", "赵敏"), Role.official,
     "housing_bureau"),
    ("ngo", "ngo@demo.example.org", Text("Liu Yang", "刘洋"), Role.ngo, "red_cross"),
    ("ngo2", "blue.sky@demo.example.org", Text("Sun Li", "孙丽"), Role.ngo, "blue_sky"),
    ("builder", "builder@demo.example.org", Text("Guo Qiang", "郭强"), Role.ngo, "builders"),
    ("village", "village@demo.example.org", Text("He Ping", "何平"), Role.ngo,
     "village_committee"),
    ("volunteer", "volunteer@demo.example.org", Text("Wang Fang", "王芳"), Role.volunteer, None),
    ("volunteer2", "volunteer2@demo.example.org", Text("Li Jun", "李军"), Role.volunteer, None),
    ("volunteer3", "volunteer3@demo.example.org", Text("Zhou Xin", "周欣"), Role.volunteer,
     None),
    ("donor", "donor@demo.example.org", Text("Ma Lin", "马琳"), Role.donor, None),
    ("company_donor", "giving@demo.example.org",
     Text("Eastern Textiles Ltd.", "东方纺织有限公司"), Role.donor, None),
]  # fmt: skip


async def _kernel(session: AsyncSession, ctx: DemoContext) -> None:
    now = utcnow()
    for key, name, kind in ORGS:
        org = Organization(
            name=ctx.pick(name),
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
            name=ctx.pick(name),
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


async def load(database: Database, loaders: Sequence[DemoLoader], *, locale: str = "") -> bool:
    """Load the demo once, the kernel's part then each domain's, written in `locale` (default:
    the deployment's default locale); False when already there."""
    ctx = DemoContext(settings=database.settings, locale=locale)
    async with database.transaction() as session:
        if await _move_legacy_accounts(session) or await session.scalar(
            select(User.id).where(User.email == ADMIN_EMAIL)
        ):
            return False
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
