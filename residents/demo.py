"""Demo data: help requests from residents, one verified, two likely duplicates, one converted."""

from sqlalchemy.ext.asyncio import AsyncSession

from core.demo import DemoContext, Text
from recovery import service as recovery
from residents import service
from residents.models import Channel
from residents.schemas import Convert, HelpRequestCreate

REQUESTS = [
    {
        "category": "shelter",
        "description": Text(
            "Roof collapsed, family of five sleeping in the car", "屋顶塌了，一家五口睡在车里"
        ),
        "people_affected": 5,
        "vulnerable": ["children", "elderly"],
        "contact_name": Text("Demo Resident A", "演示居民甲"),
        "contact_phone": "+86 130 0000 0001",
        "consent": True,
    },
    {
        "category": "water_sanitation",
        "description": Text(
            "No drinking water in the building since the flood", "洪水以来楼里一直没有饮用水"
        ),
        "people_affected": 40,
        "vulnerable": ["chronically_ill"],
        "place": Text("Building 3, Willow Lane", "柳林巷3号楼"),
    },
    {
        "category": "food",
        "description": Text(
            "Elderly neighbours need food, they cannot leave the flat",
            "邻居老人出不了门，需要食物",
        ),
        "people_affected": 2,
        "vulnerable": ["elderly", "disabled"],
        "contact_phone": "+86 130 0000 0002",
        "consent": True,
    },
    {
        "category": "food",
        "description": Text(
            "Food needed for elderly neighbours who cannot leave their flat",
            "楼里有老人出不了家门，急需食物",
        ),
        "people_affected": 2,
        "vulnerable": ["elderly"],
        "contact_phone": "+86 130 0000 0002",
        "consent": True,
    },
]


async def load(session: AsyncSession, ctx: DemoContext) -> None:
    incident = ctx.data["incident"]
    official = ctx.users["official"]
    areas = [a for a in ctx.data.get("areas") or [] if a.incident_id == incident.id]
    rows = []
    for index, fields in enumerate(REQUESTS):
        area_id = areas[index % len(areas)].id if areas else None
        if index == 3 and rows:
            area_id = rows[2].area_id
        texts = {k: ctx.pick(v) if isinstance(v, Text) else v for k, v in fields.items()}
        data = HelpRequestCreate(incident_id=incident.id, area_id=area_id, **texts)
        channel = Channel.phone if index == 3 else Channel.web
        # The residents write in the data set's language, and are answered in it.
        row, _token = await service.submit(session, data, channel=channel, locale=ctx.locale)
        rows.append(row)
    note = ctx.pick(Text("Called back", "已回电核实"))
    await service.verify(session, rows[0].id, note, actor=official)
    await service.merge(session, rows[3].id, rows[2].id, actor=official)
    # Attached to a demo need of the same kind, so the recovery figures stay as they are.
    food = [n for n in await recovery.open_needs(session, incident.id) if n.category == "food"]
    if food:
        await service.convert(session, rows[2].id, Convert(need_id=food[0].id), actor=official)
