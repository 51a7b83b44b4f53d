"""Emergency plans and graded response: activating a level starts its tasks as a project."""

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.errors import Conflict, InvalidInput, NotFound
from core.i18n import _
from core.models import Organization, User
from preparedness.labels import LEVELS
from preparedness.models import Plan, PlanActivation, PlanTask
from preparedness.schemas import Activate, ActivatedTask, ActivationOut, PlanCreate
from recovery.service import (
    ProjectCreate,
    TaskCreate,
    acting_incident_ids,
    create_project,
    create_task,
    ensure_can_act,
    get_incident,
    get_task,
    incident_choices,
    incident_today,
)

ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
# The fields of one task row of the plan form.
ROW_FIELDS = ("level", "title", "responsible_org_id", "due_offset_days")
# Plans carry no budget; the project's currency is a placeholder for the zero amount.
CURRENCY = "CNY"


async def _check_organizations(session: AsyncSession, data: PlanCreate) -> None:
    """Each task's responsible organization exists and is verified, so the tasks it starts
    can be given to it."""
    wanted = {task.responsible_org_id for level in data.levels for task in level.tasks}
    found = {
        org.id: org
        for org in await session.scalars(select(Organization).where(Organization.id.in_(wanted)))
    }
    for i, level in enumerate(data.levels):
        for j, task in enumerate(level.tasks):
            org = found.get(task.responsible_org_id)
            if org is None or not org.is_verified():
                raise InvalidInput(
                    _("The responsible organization must be a verified organization."),
                    fields={
                        f"levels.{i}.tasks.{j}.responsible_org_id": _("not a verified organization")
                    },
                )


async def create_plan(session: AsyncSession, data: PlanCreate, *, actor: User) -> Plan:
    await _check_organizations(session, data)
    plan = Plan(
        name=data.name,
        incident_type=data.incident_type,
        organization_id=actor.organization_id,
        created_by_id=actor.id,
    )
    session.add(plan)
    await session.flush()
    session.add_all(
        PlanTask(plan_id=plan.id, level=level.level, **task.model_dump())
        for level in data.levels
        for task in level.tasks
    )
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="plan.create",
        obj=plan,
        after=audit.snapshot(plan) | {"levels": data.model_dump()["levels"]},
    )
    return plan


async def get_plan(session: AsyncSession, plan_id: int, field: str = "id") -> Plan:
    plan = await session.get(Plan, plan_id)
    if plan is None:
        raise NotFound(_("No such plan."), fields={field: _("not found")})
    return plan


async def _tasks(session: AsyncSession, plan_id: int) -> list[PlanTask]:
    rows = await session.scalars(
        select(PlanTask)
        .where(PlanTask.plan_id == plan_id)
        .order_by(PlanTask.level.desc(), PlanTask.id)
    )
    return list(rows)


async def _activations(session: AsyncSession, plan_id: int, incident_id: int | None = None):
    query = select(PlanActivation).where(PlanActivation.plan_id == plan_id)
    if incident_id is not None:
        query = query.where(PlanActivation.incident_id == incident_id)
    return list(await session.scalars(query.order_by(PlanActivation.id)))


async def _view(session: AsyncSession, activation: PlanActivation) -> ActivationOut:
    tasks = [await get_task(session, task_id) for task_id in activation.task_ids]
    return ActivationOut(
        **activation.model_dump(exclude={"task_ids", "activated_by_id"}),
        tasks=[ActivatedTask.model_validate(t, from_attributes=True) for t in tasks],
    )


async def activate(
    session: AsyncSession, incident_id: int, data: Activate, *, actor: User
) -> ActivationOut:
    """Level II starts the tasks of levels IV, III and II, due by offsets from today; a later,
    more severe level adds the tasks the earlier one left out to the same project."""
    incident = await ensure_can_act(session, actor, incident_id)
    plan = await get_plan(session, data.plan_id, "plan_id")
    earlier = await _activations(session, plan.id, incident_id)
    current = min((a.level for a in earlier), default=5)
    if data.level >= current:
        raise Conflict(
            _("The plan already runs at %(level)s for this incident.") % {"level": LEVELS[current]},
            fields={"level": _("not more severe than the current level")},
        )
    today = incident_today(incident)
    wanted = [t for t in await _tasks(session, plan.id) if data.level <= t.level < current]
    if earlier:
        project_id = earlier[0].project_id
    else:
        longest = max((t.due_offset_days for t in wanted), default=0)
        project = await create_project(
            session,
            ProjectCreate(
                incident_id=incident_id,
                title=_("%(plan)s: response level %(level)s")
                % {"plan": plan.name, "level": ROMAN[data.level]},
                description=_("Started by the emergency plan %(plan)s.") % {"plan": plan.name},
                lead_org_id=incident.lead_org_id or actor.organization_id,
                budget_minor=0,
                currency=CURRENCY,
                starts_on=today,
                due_on=today + timedelta(days=max(longest, 1)),
            ),
            actor=actor,
        )
        project_id = project.id
    created = []
    for template in wanted:
        task = await create_task(
            session,
            project_id,
            TaskCreate(
                title=template.title,
                description=_("Level %(level)s task of the plan %(plan)s.")
                % {"level": ROMAN[template.level], "plan": plan.name},
                responsible_org_id=template.responsible_org_id,
                due_on=today + timedelta(days=template.due_offset_days),
            ),
            actor=actor,
        )
        created.append(task.id)
    activation = PlanActivation(
        plan_id=plan.id,
        incident_id=incident_id,
        level=data.level,
        project_id=project_id,
        task_ids=created,
        activated_by_id=actor.id,
    )
    session.add(activation)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="plan.activate",
        obj=activation,
        after=audit.snapshot(activation),
    )
    return await _view(session, activation)


async def plan_view(session: AsyncSession, plan_id: int) -> dict:
    """The plan's levels and tasks, and its history of activations."""
    plan = await get_plan(session, plan_id)
    levels: dict[int, list] = {}
    for t in await _tasks(session, plan.id):
        levels.setdefault(t.level, []).append(
            {
                "title": t.title,
                "responsible_org_id": t.responsible_org_id,
                "due_offset_days": t.due_offset_days,
            }
        )
    activations = await _activations(session, plan.id)
    return {
        "id": plan.id,
        "name": plan.name,
        "incident_type": plan.incident_type,
        "levels": [
            {"level": lv, "tasks": tasks} for lv, tasks in sorted(levels.items(), reverse=True)
        ],
        "activations": [
            {
                "incident_id": a.incident_id,
                "level": a.level,
                "project_id": a.project_id,
                "tasks_created": len(a.task_ids),
                "activated_at": a.activated_at,
            }
            for a in activations
        ],
    }


async def count_plans(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(Plan)) or 0


async def list_plans(
    session: AsyncSession, *, limit: int | None = None, offset: int = 0
) -> list[dict]:
    """Plans, newest first (every one unless `limit`), with their levels, how many tasks, how
    often each was activated."""
    query = select(Plan).order_by(Plan.id.desc()).offset(offset)
    plans = list(await session.scalars(query if limit is None else query.limit(limit)))
    ids = [p.id for p in plans]
    levels: dict[int, set[int]] = {}
    tasks: dict[int, int] = {}
    for plan_id, level in (
        await session.execute(
            select(PlanTask.plan_id, PlanTask.level).where(PlanTask.plan_id.in_(ids))
        )
    ).all():
        levels.setdefault(plan_id, set()).add(level)
        tasks[plan_id] = tasks.get(plan_id, 0) + 1
    activated: dict[int, int] = {}
    for (plan_id,) in (
        await session.execute(select(PlanActivation.plan_id).where(PlanActivation.plan_id.in_(ids)))
    ).all():
        activated[plan_id] = activated.get(plan_id, 0) + 1
    return [
        {
            "plan": plan,
            "levels": sorted(levels.get(plan.id, ()), reverse=True),
            "tasks": tasks.get(plan.id, 0),
            "activations": activated.get(plan.id, 0),
        }
        for plan in plans
    ]


async def incident_activations(session: AsyncSession, incident_id: int) -> list[dict]:
    """The plans activated for an incident, in order, with the plan's name."""
    rows = await session.execute(
        select(PlanActivation, Plan.name)
        .join(Plan, Plan.id == PlanActivation.plan_id)
        .where(PlanActivation.incident_id == incident_id)
        .order_by(PlanActivation.id)
    )
    return [
        {"activation": activation, "plan_name": name, "tasks_created": len(activation.task_ids)}
        for activation, name in rows.all()
    ]


def level_options() -> list[tuple[int, str]]:
    """Response levels for a select, least severe first (China's scale: I is the most severe)."""
    return [
        (4, _("Level IV (least severe)")),
        (3, str(LEVELS[3])),
        (2, str(LEVELS[2])),
        (1, _("Level I (most severe)")),
    ]


async def organization_options(session: AsyncSession) -> list[tuple[int, str]]:
    """Verified organizations, which a plan's tasks can be given to."""
    rows = await session.scalars(select(Organization).order_by(Organization.name))
    return [(org.id, org.name) for org in rows if org.is_verified()]


async def plan_detail(session: AsyncSession, plan_id: int, *, viewer: User) -> dict:
    """The plan page: tasks by level with their organizations' names, each activation with
    its incident, and the incidents the viewer's agency may activate it for."""
    view = await plan_view(session, plan_id)
    org_ids = {t["responsible_org_id"] for lv in view["levels"] for t in lv["tasks"]}
    names = dict(
        (
            await session.execute(
                select(Organization.id, Organization.name).where(Organization.id.in_(org_ids))
            )
        ).all()
    )
    incidents = {i.id: i for i in await incident_choices(session, include_exercises=True)}
    for activation in view["activations"]:
        incident = incidents.get(activation["incident_id"]) or await get_incident(
            session, activation["incident_id"]
        )
        activation["incident"] = incident
    acting = set(await session.scalars(acting_incident_ids(viewer)))
    return {
        "plan": view,
        "names": names,
        "incidents": [i for i in incidents.values() if i.id in acting],
    }
