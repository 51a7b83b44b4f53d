"""A seeded incident for the public pages, inserted row by row, with personal data to guard."""

from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest_asyncio

from core import clock
from core.models import AuditEntry, Organization, OrgKind, OrgStatus, Role, User
from recovery.models import (
    Area,
    Category,
    Incident,
    Need,
    NeedStatus,
    Priority,
    Project,
    Report,
    ReportStatus,
    Task,
    TaskStatus,
)

EMAILS = ["chen.wei@gov.example.cn", "liu.yang@redcross.example.org", "wang.fang@mail.example.com"]
PHONES = ["13800138000", "+86 139 1234 5678"]


@dataclass
class Seeded:
    incident: Incident
    other_incident: Incident
    orgs: dict[str, Organization]
    admin: User
    needs: list[Need] = field(default_factory=list)
    projects: list[Project] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    today: date = field(default_factory=lambda: clock.utcnow().date())


@pytest_asyncio.fixture
async def seeded(app) -> Seeded:
    now = clock.utcnow()
    today = now.date()
    async with app.state.database.transaction() as session:
        admin = User(
            email="admin@ops.example.org",
            name="Platform Admin Zhou",
            password_hash="x",
            role=Role.admin,
        )
        session.add(admin)
        await session.flush()
        orgs = {
            "office": Organization(
                name="Riverside Recovery Office",
                kind=OrgKind.government,
                status=OrgStatus.verified,
                verified_at=now - timedelta(days=10),
                verified_by_id=admin.id,
                verified_until=now + timedelta(days=355),
            ),
            "redcross": Organization(
                name="Riverside Red Cross",
                kind=OrgKind.ngo,
                status=OrgStatus.verified,
                verified_at=now - timedelta(days=30),
                verified_by_id=admin.id,
                verified_until=now + timedelta(days=335),
            ),
            "builders": Organization(
                name="Harbour Builders",
                kind=OrgKind.company,
                status=OrgStatus.verified,
                verified_at=now - timedelta(days=400),
                verified_by_id=admin.id,
                verified_until=now - timedelta(days=35),
            ),
            "pending": Organization(name="Willow Youth Club", kind=OrgKind.community),
        }
        session.add_all(orgs.values())
        await session.flush()
        people = [
            User(
                email=EMAILS[0],
                name="Chen Wei",
                password_hash="x",
                role=Role.official,
                organization_id=orgs["office"].id,
            ),
            User(
                email=EMAILS[1],
                name="Liu Yang",
                password_hash="x",
                role=Role.ngo,
                organization_id=orgs["redcross"].id,
            ),
            User(email=EMAILS[2], name="Wang Fang", password_hash="x", role=Role.volunteer),
        ]
        session.add_all(people)
        await session.flush()
        # A volunteer's profile change, as the volunteers domain would audit it: phone and email.
        session.add(
            AuditEntry(
                actor_id=people[2].id,
                action="volunteer.profile",
                object_type="volunteer_profiles",
                object_id=1,
                after={"phone": PHONES[0], "email": EMAILS[2], "emergency_contact": PHONES[1]},
            )
        )
        incident = Incident(
            name="Riverside floods",
            started_on=today - timedelta(days=40),
            description="Floods along the river.",
            status="recovery",
            created_by_id=people[0].id,
        )
        other = Incident(name="Hill landslide", started_on=today - timedelta(days=5))
        session.add_all([incident, other])
        await session.flush()
        county = Area(incident_id=incident.id, name="Riverside County", lat=30.5, lon=114.3)
        session.add(county)
        await session.flush()
        town = Area(
            incident_id=incident.id,
            parent_id=county.id,
            name="Willow Township",
            level="township",
            lat=30.55,
            lon=114.35,
        )
        session.add(town)
        await session.flush()
        seeded = Seeded(incident, other, orgs, admin, today=today)
        categories = list(Category)
        statuses = [
            NeedStatus.open,
            NeedStatus.partially_met,
            NeedStatus.met,
            NeedStatus.closed,
            NeedStatus.open,
            NeedStatus.cancelled,
        ]
        priorities = list(Priority)
        for i in range(30):
            status = statuses[i % len(statuses)]
            quantity = 10 + i
            met = {NeedStatus.met: quantity, NeedStatus.partially_met: quantity // 2}.get(status, 0)
            need = Need(
                incident_id=incident.id,
                area_id=town.id if i % 2 else county.id,
                title=f"Need number {i}",
                category=categories[i % 5].value,
                quantity=quantity,
                quantity_met=met,
                unit="kits",
                priority=priorities[i % 4].value,
                needed_by=today + timedelta(days=i - 10),
                lat=30.5 + i / 100,
                lon=114.3 + i / 100,
                status=status.value,
                created_by_id=people[0].id,
            )
            seeded.needs.append(need)
        seeded.needs.append(
            Need(
                incident_id=other.id,
                title="Tents for the hill",
                category="shelter",
                quantity=5,
                unit="tents",
                priority="critical",
                needed_by=today,
                lat=31.0,
                lon=115.0,
            )
        )
        session.add_all(seeded.needs)
        specs = [
            ("Rebuild Willow school", "office", 40, today + timedelta(days=30)),
            ("Repair river embankment", "builders", 100, today - timedelta(days=2)),
            ("Clinic roof", "redcross", 10, today - timedelta(days=1)),
        ]
        for title, org, progress, due in specs:
            seeded.projects.append(
                Project(
                    incident_id=incident.id,
                    area_id=town.id,
                    title=title,
                    lead_org_id=orgs[org].id,
                    budget_minor=500000,
                    currency="CNY",
                    starts_on=today - timedelta(days=20),
                    due_on=due,
                    progress=progress,
                )
            )
        session.add_all(seeded.projects)
        await session.flush()
        school, embankment, clinic = seeded.projects
        task_specs = [
            # project, org, status, due offset, completed offset
            (school, "builders", TaskStatus.in_progress, -3, None),  # overdue
            (school, "builders", TaskStatus.blocked, -1, None),  # overdue
            (school, "redcross", TaskStatus.todo, 10, None),
            (embankment, "builders", TaskStatus.done, -5, -6),  # on time
            (embankment, "builders", TaskStatus.done, -5, -2),  # late
            (clinic, "redcross", TaskStatus.in_progress, -4, None),  # overdue
            (clinic, "office", TaskStatus.done, 3, 0),  # on time
        ]
        for project, org, status, due, done in task_specs:
            seeded.tasks.append(
                Task(
                    project_id=project.id,
                    title=f"{project.title}: step {len(seeded.tasks) + 1}",
                    responsible_org_id=orgs[org].id,
                    due_on=today + timedelta(days=due),
                    status=status,
                    progress=100 if status == TaskStatus.done else 50,
                    completed_on=today + timedelta(days=done) if done is not None else None,
                )
            )
        session.add_all(seeded.tasks)
        session.add_all(
            [
                Report(
                    incident_id=incident.id,
                    title="Week 1: shelters open",
                    status=ReportStatus.published,
                    published_at=now - timedelta(days=7),
                    created_by_id=people[0].id,
                ),
                Report(
                    incident_id=incident.id,
                    title="Week 2: schools",
                    status=ReportStatus.published,
                    published_at=now - timedelta(days=1),
                    created_by_id=people[0].id,
                ),
                Report(
                    incident_id=incident.id, title="Draft: not public", status=ReportStatus.draft
                ),
            ]
        )
    return seeded
