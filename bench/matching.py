"""Times matching 2,000 needs against 500 offers: the engine alone, then a stored run on SQLite."""

import asyncio
import random
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from core.db import Database
from core.matching import NeedInput, OfferInput, match
from core.migrate import upgrade
from core.models import Role, User
from core.settings import Settings
from donations.models import Offer
from donations.service import matching
from recovery.models import Incident, Need

CATEGORIES = [("food", "meals"), ("shelter", "tents"), ("water_sanitation", "litres"),
              ("health", "kits"), ("debris_removal", "excavators")]  # fmt: skip
PRIORITIES = ("critical", "high", "medium", "low")
START = date.today()


def inputs(seed: int = 7) -> tuple[list[NeedInput], list[OfferInput]]:
    rng = random.Random(seed)
    needs = []
    for i in range(2000):
        category, unit = rng.choice(CATEGORIES)
        needs.append(
            NeedInput(
                i + 1,
                category,
                unit,
                rng.randint(1, 500),
                rng.choice(PRIORITIES),
                START + timedelta(days=rng.randint(1, 60)),
                30 + rng.uniform(-1, 1),
                120 + rng.uniform(-1, 1),
            )  # fmt: skip
        )
    offers = []
    for j in range(500):
        category, unit = rng.choice(CATEGORIES)
        begin = START + timedelta(days=rng.randint(0, 30))
        offers.append(
            OfferInput(
                j + 1,
                category,
                unit,
                rng.randint(10, 2000),
                30 + rng.uniform(-1, 1),
                120 + rng.uniform(-1, 1),
                rng.uniform(10, 120),
                begin,
                begin + timedelta(days=rng.randint(5, 60)),
            )  # fmt: skip
        )
    return needs, offers


async def stored_run(needs: list[NeedInput], offers: list[OfferInput]) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        await asyncio.to_thread(upgrade, url)
        database = Database(Settings(database_url=url))
        try:
            async with database.transaction() as session:
                official = User(email="bench@example.org", name="Bench", password_hash="x",
                                role=Role.official)  # fmt: skip
                incident = Incident(name="Bench", started_on=START)
                session.add_all([official, incident])
                await session.flush()
                session.add_all(
                    Need(id=n.id, incident_id=incident.id, title=f"need {n.id}",
                         category=n.category, unit=n.unit, quantity=n.quantity,
                         priority=n.priority, needed_by=n.needed_by, lat=n.lat, lon=n.lon)
                    for n in needs
                )  # fmt: skip
                session.add_all(
                    Offer(id=o.id, incident_id=incident.id, kind="capacity", owner_id=official.id,
                          category=o.category, unit=o.unit, quantity=o.quantity, lat=o.lat,
                          lon=o.lon, radius_km=o.radius_km, available_from=o.available_from,
                          available_until=o.available_until)
                    for o in offers
                )  # fmt: skip
            async with database.transaction() as session:
                started = time.perf_counter()
                run = await matching.run(session, incident_id=incident.id, actor=official)
                _run, proposals, _unmet = await matching.run_details(session, run.id)
                return time.perf_counter() - started, len(proposals)
        finally:
            await database.dispose()


if __name__ == "__main__":
    needs, offers = inputs()
    started = time.perf_counter()
    result = match(needs, offers)
    elapsed = time.perf_counter() - started
    print(
        f"engine, 2,000 needs x 500 offers: {elapsed:.2f} s, "
        f"{len(result.proposals)} proposals, {len(result.unmet)} unmet lines"
    )
    seconds, stored = asyncio.run(stored_run(needs, offers))
    print(f"stored run on SQLite (read, solve, write, audit): {seconds:.2f} s, {stored} proposals")
