"""Demo data for preparedness: two certified rescue teams, a zone that admits one, the
county's reserve depot, a flood plan by response level, areas' agencies and a current alert."""

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.demo import DemoContext, Text
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

ISSUER = Text("Hubei Provincial Emergency Management Department", "湖北省应急管理厅")
EQUIPMENT = [(Text("Hydraulic rescue tools", "液压破拆救援工具"), 2),
             (Text("Inflatable boats", "充气冲锋舟"), 4)]  # fmt: skip
CERTIFICATIONS = [
    (Text("Social emergency force: collapsed-structure rescue", "社会应急力量：建筑物倒塌搜救"),
     "collapsed_structure_sar"),
    (Text("Team first-aid training", "队伍急救培训"), None),
]  # fmt: skip
# Areas by their key (the English name, core.demo): the village the demo's collapsed-structure
# search happens in, whose zone admits one team; the county; the township the alert is for.
RUBBLE_VILLAGE, COUNTY, ALERT_TOWNSHIP = "Reed Bend", "Riverside County", "Willow Township"
DEPOT = Text("Riverside County emergency reserve depot", "长湖县应急物资储备库")
# (category, unit, quantity, lot, days until it expires); the units are the needs' own words,
# so the stock can be matched to them.
STOCK = [
    ("logistics", Text("litres", "升"), 3000, "DIESEL-2026-11", 300),
    ("shelter", Text("tents", "顶"), 200, "TENT-2025-04", None),
    ("food", Text("boxes", "箱"), 400, "RATIONS-2026-09", 25),
]
ALLOCATION = Text("Provincial reserve allocation", "省级储备调拨")
PLAN = Text("Riverside County flood emergency plan", "长湖县防汛应急预案")
# Response level → [(task, responsible organization, days after activation)].
PLAN_TASKS = {
    4: [(Text("Open the flood shelters", "开放防汛避难场所"), "housing_bureau", 1)],
    3: [(Text("Set up first-aid points at the shelters", "在安置点设立急救点"), "red_cross", 1)],
    2: [(Text("Search collapsed houses in the flooded villages", "搜索受淹村庄的倒塌房屋"),
         "blue_sky", 0),
        (Text("Check drinking water at every shelter", "检查每个安置点的饮用水"),
         "health_bureau", 2)],
    1: [(Text("Evacuate the villages below the dyke", "转移堤坝下方村庄的群众"),
         "recovery_office", 0)],
}  # fmt: skip
# The alert in English and Chinese, whatever the data set's language; the place is named as
# the data set names it.
ALERT_EN = {
    "event": "Flood",
    "headline": "River expected above 22 m at {place} tonight",
    "description": "Upstream rain keeps the river rising; the dyke is under watch.",
    "instruction": "Families below the dyke: be ready to move to the school on the hill.",
}
ALERT_ZH = {
    "event": "洪水",
    "headline": "今夜{place}河水预计超过22米",
    "description": "上游降雨使河水持续上涨，堤坝正在监测中。",
    "instruction": "堤坝下方的家庭：请做好转移到山上学校的准备。",
}
# The township's name in the alert's other language: the Chinese data set's name in the
# English set's Chinese text, pinyin in the Chinese set's English text.
ALERT_PLACE = Text("Liulin Township", "柳林镇")


async def load(session: AsyncSession, ctx: DemoContext) -> None:
    incident = ctx.data.get("incident")
    if incident is None:  # the recovery demo did not run: nothing to prepare for
        return
    areas = dict(ctx.data.get("areas_by_key") or {})
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
                    EquipmentItem(name=ctx.pick(name), quantity=quantity)
                    for name, quantity in EQUIPMENT
                ],
                certifications=[
                    CertificationIn(
                        name=ctx.pick(name),
                        issuer=ctx.pick(ISSUER),
                        expires_on=valid,
                        capability=capability,
                    )
                    for name, capability in CERTIFICATIONS
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
    for name, key in ((COUNTY, "recovery_office"), (ALERT_TOWNSHIP, "housing_bureau")):
        if name in areas:
            await set_area_agency(session, areas[name].id, ctx.orgs[key].id, actor=official)
    depot = await create_warehouse(
        session,
        WarehouseCreate(
            name=ctx.pick(DEPOT),
            lat=30.598,
            lon=114.292,
            low_stock={"logistics": 500, "shelter": 50},
        ),
        actor=official,
    )
    for category, unit, quantity, lot, days in STOCK:
        await move(
            session,
            depot.id,
            MovementIn(
                kind="receive",
                category=category,
                unit=ctx.pick(unit),
                quantity=quantity,
                lot=lot,
                expires_on=today + timedelta(days=days) if days else None,
                reason=ctx.pick(ALLOCATION),
            ),
            actor=official,
        )
    orgs = ctx.orgs
    await plans.create_plan(
        session,
        PlanCreate(
            name=ctx.pick(PLAN),
            incident_type="flood",
            levels=[
                PlanLevelIn(
                    level=level,
                    tasks=[
                        PlanTaskIn(
                            title=ctx.pick(title),
                            responsible_org_id=orgs[org].id,
                            due_offset_days=days,
                        )
                        for title, org, days in tasks
                    ],
                )
                for level, tasks in PLAN_TASKS.items()
            ],
        ),
        actor=official,
    )
    if ALERT_TOWNSHIP in areas:
        township = areas[ALERT_TOWNSHIP]
        en_place, zh_place = (
            (ALERT_PLACE.en, township.name)
            if ctx.locale == "zh_Hans"
            else (township.name, ALERT_PLACE.zh)
        )
        en = {k: v.format(place=en_place) for k, v in ALERT_EN.items()}
        zh = {k: v.format(place=zh_place) for k, v in ALERT_ZH.items()}
        await alerts.publish(
            session,
            AlertCreate(
                event=en["event"],
                category="Met",
                urgency="Expected",
                severity="Severe",
                certainty="Likely",
                headline=en["headline"],
                description=en["description"],
                instruction=en["instruction"],
                zh=AlertText(**zh),
                area_ids=[township.id],
                expires=clock.utcnow() + timedelta(hours=36),
            ),
            actor=official,
            base_url=ctx.settings.base_url,
        )
