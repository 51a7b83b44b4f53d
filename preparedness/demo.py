"""Demo data for preparedness: two certified rescue teams, a zone that admits one, the
county's reserve depot, a flood plan by response level, areas' agencies and a current alert."""

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.demo import DemoContext
from preparedness.schemas import (
    AlertCreate,
    AlertText,
    CertificationIn,
    EquipmentItem,
    MovementIn,
    PlanCreate,
    PlanLevelIn,
    PlanTaskIn,
    TeamProfile,
    WarehouseCreate,
)
from preparedness.service import alerts, create_warehouse, move, plans, save_team, set_zone
from recovery.service import set_area_agency

ISSUER = "Hubei Provincial Emergency Management Department"
# The village the demo's collapsed-structure search happens in; its zone admits one team.
RUBBLE_VILLAGE = "Reed Bend"


async def load(session: AsyncSession, ctx: DemoContext) -> None:
    incident = ctx.data.get("incident")
    if incident is None:  # the recovery demo did not run: nothing to prepare for
        return
    areas = {area.name: area for area in ctx.data.get("areas") or []}
    official = ctx.users["official"]
    today = clock.today(incident.time_zone)
    valid = today + timedelta(days=240)
    for user, capabilities, members, base in (
        (ctx.users["ngo2"], ["collapsed_structure_sar", "water_rescue"], 36, (30.58, 114.27)),
        (ctx.users["ngo"], ["collapsed_structure_sar", "medical_first_aid"], 48, (30.55, 114.34)),
    ):
        await save_team(
            session,
            user.organization_id,
            TeamProfile(
                capabilities=capabilities,
                members=members,
                equipment=[
                    EquipmentItem(name="Hydraulic rescue tools", quantity=2),
                    EquipmentItem(name="Inflatable boats", quantity=4),
                ],
                certifications=[
                    CertificationIn(
                        name="Social emergency force: collapsed-structure rescue",
                        issuer=ISSUER,
                        expires_on=valid,
                        capability="collapsed_structure_sar",
                    ),
                    CertificationIn(
                        name="Team first-aid training", issuer=ISSUER, expires_on=valid
                    ),
                ],
                base_lat=base[0],
                base_lon=base[1],
                response_radius_km=120,
            ),
            actor=user,
        )
    if RUBBLE_VILLAGE in areas:
        await set_zone(session, areas[RUBBLE_VILLAGE].id, 1, actor=official)
    # Territorial management: the county office answers for the county, the housing bureau for
    # Willow Township, so overdue work there climbs bureau → county office.
    for name, key in (
        ("Riverside County", "recovery_office"),
        ("Willow Township", "housing_bureau"),
    ):
        if name in areas:
            await set_area_agency(session, areas[name].id, ctx.orgs[key].id, actor=official)
    depot = await create_warehouse(
        session,
        WarehouseCreate(
            name="Riverside County emergency reserve depot",
            lat=30.598,
            lon=114.292,
            low_stock={"logistics": 500, "shelter": 50},
        ),
        actor=official,
    )
    for category, unit, quantity, lot, days in (
        ("logistics", "litres", 3000, "DIESEL-2026-11", 300),
        ("shelter", "tents", 200, "TENT-2025-04", None),
        ("food", "boxes", 400, "RATIONS-2026-09", 25),
    ):
        await move(
            session,
            depot.id,
            MovementIn(
                kind="receive",
                category=category,
                unit=unit,
                quantity=quantity,
                lot=lot,
                expires_on=today + timedelta(days=days) if days else None,
                reason="Provincial reserve allocation",
            ),
            actor=official,
        )
    orgs = ctx.orgs
    await plans.create_plan(
        session,
        PlanCreate(
            name="Riverside County flood emergency plan",
            incident_type="flood",
            levels=[
                PlanLevelIn(level=4, tasks=[
                    PlanTaskIn(title="Open the flood shelters",
                               responsible_org_id=orgs["housing_bureau"].id, due_offset_days=1),
                ]),
                PlanLevelIn(level=3, tasks=[
                    PlanTaskIn(title="Set up first-aid points at the shelters",
                               responsible_org_id=orgs["red_cross"].id, due_offset_days=1),
                ]),
                PlanLevelIn(level=2, tasks=[
                    PlanTaskIn(title="Search collapsed houses in the flooded villages",
                               responsible_org_id=orgs["blue_sky"].id, due_offset_days=0),
                    PlanTaskIn(title="Check drinking water at every shelter",
                               responsible_org_id=orgs["health_bureau"].id, due_offset_days=2),
                ]),
                PlanLevelIn(level=1, tasks=[
                    PlanTaskIn(title="Evacuate the villages below the dyke",
                               responsible_org_id=orgs["recovery_office"].id, due_offset_days=0),
                ]),
            ],
        ),
        actor=official,
    )  # fmt: skip
    if "Willow Township" in areas:
        await alerts.publish(
            session,
            AlertCreate(
                event="Flood",
                category="Met",
                urgency="Expected",
                severity="Severe",
                certainty="Likely",
                headline="River expected above 22 m at Willow Township tonight",
                description="Upstream rain keeps the river rising; the dyke is under watch.",
                instruction="Families below the dyke: be ready to move to the school on the hill.",
                zh=AlertText(
                    event="洪水",
                    headline="今夜柳树镇河水预计超过22米",
                    description="上游降雨使河水持续上涨，堤坝正在监测中。",
                    instruction="堤坝下方的家庭：请做好转移到山上学校的准备。",
                ),
                area_ids=[areas["Willow Township"].id],
                expires=clock.utcnow() + timedelta(hours=36),
            ),
            actor=official,
            base_url=ctx.settings.base_url,
        )
