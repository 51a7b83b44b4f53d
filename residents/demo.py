"""Demo data: help requests from residents, one verified, two likely duplicates, one converted."""

from sqlalchemy.ext.asyncio import AsyncSession

from core.demo import DemoContext
from recovery import service as recovery
from residents import service
from residents.models import Channel
from residents.schemas import Convert, HelpRequestCreate

REQUESTS = [
    {
        "category": "shelter",
        "description": "Roof collapsed, family of five sleeping in the car",
        "people_affected": 5,
        "vulnerable": ["children", "elderly"],
        "contact_name": "Demo Resident A",
        "contact_phone": "+86 130 0000 0001",
        "consent": True,
    },
    {
        "category": "water_sanitation",
        "description": "No drinking water in the building since the flood",
        "people_affected": 40,
        "vulnerable": ["chronically_ill"],
        "place": "Building 3, Willow Lane",
    },
    {
        "category": "food",
        "description": "Elderly neighbours need food, they cannot leave the flat",
        "people_affected": 2,
        "vulnerable": ["elderly", "disabled"],
        "contact_phone": "+86 130 0000 0002",
        "consent": True,
    },
    {
        "category": "food",
        "description": "Food needed for elderly neighbours who cannot leave their flat",
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
        data = HelpRequestCreate(incident_id=incident.id, area_id=area_id, **fields)
        channel = Channel.phone if index == 3 else Channel.web
        row, _token = await service.submit(session, data, channel=channel)
        rows.append(row)
    await service.verify(session, rows[0].id, "Called back", actor=official)
    await service.merge(session, rows[3].id, rows[2].id, actor=official)
    # Attached to a demo need of the same kind, so the recovery figures stay as they are.
    food = [n for n in await recovery.open_needs(session, incident.id) if n.category == "food"]
    if food:
        await service.convert(session, rows[2].id, Convert(need_id=food[0].id), actor=official)
