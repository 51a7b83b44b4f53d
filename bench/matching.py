"""Matching at province scale: match() beside a raw OR-Tools solve of the same arcs, greedy, memory,
stored runs on SQLite and PostgreSQL, and the fairness curve.

    .venv/bin/python bench/matching.py [--sizes 1,2,5,10] [--curve-size 2] [--no-postgres]
    .venv/bin/python bench/matching.py --sizes '' --curve-size 10 --curve-bounds 10

(`--sizes ''` skips the table: the second line times one bound at 10k x 50k against the
unbounded run, in wall and CPU seconds.)

The instance is seeded: a 300 x 300 km region with 25 towns, 8 category/unit groups, offers
with radii of 10-100 km; k thousand needs against 5k offers. Every ratio is against a
baseline measured in the same run: match() and the stored runs against the raw OR-Tools solve of
the same arcs, the bounded runs of the fairness curve against the unbounded one.
"""

import argparse
import asyncio
import math
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import create_async_engine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.clock import utcnow  # noqa: E402
from core.db import Database  # noqa: E402
from core.matching import (  # noqa: E402
    PRIORITIES,
    NeedInput,
    OfferInput,
    flow_networks,
    match,
    solve_network,
)
from core.migrate import upgrade  # noqa: E402
from core.models import Organization, OrgKind, OrgStatus, Role, User  # noqa: E402
from core.settings import Settings  # noqa: E402
from donations.models import Offer  # noqa: E402
from donations.service import matching, proposals  # noqa: E402
from recovery.models import Area, Incident, Need  # noqa: E402

GROUPS = [("food", "meals"), ("food", "rice kg"), ("shelter", "tents"), ("shelter", "blankets"),
          ("water_sanitation", "litres"), ("health", "kits"), ("health", "hygiene kits"),
          ("debris_removal", "excavators")]  # fmt: skip
TODAY = date(2026, 12, 1)
LAT0, LON0 = 30.0, 120.0
KM_PER_DEG = 111.19508
# Priority weights for the greedy comparison: a unit of critical need counts four low ones.
WEIGHT = {"critical": 4, "high": 3, "medium": 2, "low": 1}


def instance(thousands: int, seed: int = 12) -> tuple[list[NeedInput], list[OfferInput], list]:
    """k thousand needs and 5k offers around 25 towns; needs name their town (area)."""
    rng = random.Random(seed)
    towns = [(rng.uniform(0, 300), rng.uniform(0, 300)) for _ in range(25)]
    km_per_lon = KM_PER_DEG * math.cos(math.radians(LAT0))

    def place() -> tuple[int, float, float]:
        town = rng.randrange(len(towns))
        x = min(300.0, max(0.0, rng.gauss(towns[town][0], 25)))
        y = min(300.0, max(0.0, rng.gauss(towns[town][1], 25)))
        return town, LAT0 + y / KM_PER_DEG, LON0 + x / km_per_lon

    needs = []
    for i in range(1000 * thousands):
        category, unit = rng.choice(GROUPS)
        town, lat, lon = place()
        needs.append(NeedInput(
            i + 1, category, unit, rng.randint(1, 200), rng.choice(PRIORITIES),
            TODAY + timedelta(days=rng.randint(-2, 20)), lat, lon, area_id=town + 1,
        ))  # fmt: skip
    offers = []
    for j in range(5000 * thousands):
        category, unit = rng.choice(GROUPS)
        _town, lat, lon = place()
        begin = TODAY + timedelta(days=rng.randint(0, 120))
        offers.append(OfferInput(
            j + 1, category, unit, rng.randint(5, 100), lat, lon, rng.uniform(10, 100),
            begin, begin + timedelta(days=rng.randint(0, 10)),
        ))  # fmt: skip
    return needs, offers, towns


def raw_solve(needs, offers) -> tuple[float, float, int]:
    """The baseline: OR-Tools on the same arcs, given as numpy arrays (build + solve); wall
    and CPU seconds."""
    networks = flow_networks(needs, offers, today=TODAY)
    started, cpu = time.perf_counter(), time.process_time()
    for network in networks:
        solve_network(network)
    return (time.perf_counter() - started, time.process_time() - cpu,
            sum(n.arcs for n in networks))  # fmt: skip


def weighted_served(needs, served: dict[int, int]) -> tuple[int, int]:
    """Priority-weighted quantity served, and the quantity served to high-priority needs."""
    total = sum(WEIGHT[n.priority] * served.get(n.id, 0) for n in needs)
    high = sum(served.get(n.id, 0) for n in needs if n.priority in ("critical", "high"))
    return total, high


def greedy(needs, offers) -> dict[int, int]:
    """First come, first served: needs in the order they were logged, nearest offer first."""
    served: dict[int, int] = defaultdict(int)
    left = {o.id: o.quantity for o in offers}
    wanted = {n.id: n.quantity for n in needs}
    for network in flow_networks(needs, offers, today=TODAY):
        arcs = network.arcs
        offer = network.offer_ids[network.tails[:arcs]]
        need = network.need_ids[network.heads[:arcs] - len(network.offer_ids)]
        order = np.lexsort((network.costs[:arcs], need))
        for k in order.tolist():
            i, j = int(need[k]), int(offer[k])
            take = min(wanted[i] - served[i], left[j])
            if take > 0:
                served[i] += take
                left[j] -= take
    return served


def child_memory(thousands: int) -> None:
    """Peak resident memory of one match() in a fresh process (printed in MB)."""
    needs, offers, _towns = instance(thousands)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    match(needs, offers, today=TODAY)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{after / 1024:.0f} {before / 1024:.0f}")


def peak_memory(thousands: int) -> tuple[float, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--memory-child", str(thousands)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    peak, before = out.stdout.split()
    return float(peak), float(before)


async def stored_run(url: str, needs, offers) -> tuple[float, float, dict, int, int]:
    """Seed an incident, then time the service's run: read, match, write rows, audit; wall
    and CPU seconds of this process (PostgreSQL's own work is in its server), per phase."""
    await asyncio.to_thread(upgrade, url)
    database = Database(Settings(database_url=url))
    try:
        async with database.transaction() as session:
            office = Organization(name="Bench office", kind=OrgKind.government,
                                  status=OrgStatus.verified, verified_at=utcnow())  # fmt: skip
            session.add(office)
            await session.flush()
            official = User(email="bench@example.org", name="Bench", password_hash="x",
                            role=Role.official, organization_id=office.id)  # fmt: skip
            incident = Incident(name="Bench", started_on=TODAY - timedelta(days=10),
                                lead_org_id=office.id)  # fmt: skip
            session.add_all([official, incident])
            await session.flush()
            areas = sorted({n.area_id for n in needs if n.area_id})
            await session.execute(insert(Area), [
                {"id": a, "incident_id": incident.id, "name": f"Town {a}", "lat": LAT0,
                 "lon": LON0} for a in areas
            ])  # fmt: skip
            await session.execute(insert(Need), [
                {"id": n.id, "incident_id": incident.id, "area_id": n.area_id,
                 "title": f"need {n.id}", "category": n.category, "unit": n.unit,
                 "quantity": n.quantity, "quantity_met": 0, "priority": n.priority,
                 "needed_by": n.needed_by, "lat": n.lat, "lon": n.lon, "description": "",
                 "status": "open"} for n in needs
            ])  # fmt: skip
            await session.execute(insert(Offer), [
                {"id": o.id, "incident_id": incident.id, "kind": "capacity",
                 "owner_id": official.id, "category": o.category, "unit": o.unit,
                 "quantity": o.quantity, "quantity_committed": 0, "lat": o.lat, "lon": o.lon,
                 "radius_km": o.radius_km, "available_from": o.available_from,
                 "available_until": o.available_until, "description": "", "status": "open"}
                for o in offers
            ])  # fmt: skip
        phases: dict = {}
        async with database.transaction() as session:
            started, cpu = time.perf_counter(), time.process_time()
            run = await matching.run(session, incident_id=incident.id, actor=official,
                                     stats=phases)  # fmt: skip
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        async with database.transaction() as session:
            _run, found, unmet = await proposals.run_details(session, run.id)
        return seconds, cpu, phases, len(found), len(unmet)
    finally:
        await database.dispose()


async def sqlite_run(needs, offers):
    with tempfile.TemporaryDirectory() as folder:
        return await stored_run(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}", needs, offers)


async def postgres_run(needs, offers):
    server = os.environ.get("BENCH_POSTGRES", "postgresql+asyncpg://postgres@127.0.0.1:5432")
    admin = create_async_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text("DROP DATABASE IF EXISTS match_bench"))
        await conn.execute(text("CREATE DATABASE match_bench"))
    await admin.dispose()
    return await stored_run(f"{server}/match_bench", needs, offers)


def fairness_curve(thousands: int, bounds: list[float]) -> None:
    """Total served and the worst-served area's share for a few bounds, at one size."""
    needs, offers, _towns = instance(thousands)
    print(f"\nfairness between areas at {thousands}k x {5 * thousands}k (25 towns as areas; "
          "per category and unit, the worst area's covered share):")  # fmt: skip
    print("| bound (points) | served | critical and high served | share of need | worst area "
          "(lowest) | worst area (mean over groups) | match() | ratio | CPU | ratio in CPU "
          "|")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|")
    urgent = {n.id for n in needs if n.priority in ("critical", "high")}
    baseline = cpu_baseline = None
    for bound in [None, *bounds]:
        started, cpu = time.perf_counter(), time.process_time()
        result = match(needs, offers, today=TODAY, max_area_gap_pct=bound)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        baseline, cpu_baseline = baseline or elapsed, cpu_baseline or cpu
        bounded = bound is not None
        served = sum(g.served_bounded if bounded else g.served for g in result.fairness)
        need = sum(g.need for g in result.fairness)
        worst = [min(a.share(bounded) for a in g.areas) for g in result.fairness]
        high = sum(p.quantity for p in result.proposals if p.need_id in urgent)
        label = "none" if bound is None else f"{bound:g}"
        print(f"| {label} | {served:,} | {high:,} | {100 * served / need:.1f} % "
              f"| {100 * min(worst):.1f} % | {100 * sum(worst) / len(worst):.1f} % "
              f"| {elapsed:.2f} s | {elapsed / baseline:.2f}x | {cpu:.2f} s "
              f"| {cpu / cpu_baseline:.2f}x |")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1,2,5,10")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-stored", action="store_true")
    parser.add_argument("--curve-size", type=int, default=2, help="thousands of needs, 0: none")
    parser.add_argument("--curve-bounds", default="30,20,10,5,0")
    parser.add_argument("--memory-child", type=int)
    args = parser.parse_args()
    if args.memory_child:
        child_memory(args.memory_child)
        return
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    print(f"instance: 300 x 300 km, 25 towns, {len(GROUPS)} groups, radii 10-100 km, today "
          f"{TODAY}; k thousand needs x 5k offers")  # fmt: skip
    # One small match first: OR-Tools' import and first call are no part of any row.
    warm_needs, warm_offers, _towns = instance(1, seed=1)
    match(warm_needs[:50], warm_offers[:200], today=TODAY)
    if not sizes:
        if args.curve_size:
            fairness_curve(args.curve_size, [float(b) for b in args.curve_bounds.split(",")])
        return
    # CPU seconds too: on a shared machine wall time mostly measures the other processes.
    print("| needs x offers | arcs | match() | candidate gen | raw OR-Tools solve | ratio "
          "| ratio in CPU time | peak memory |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    largest = raw_largest = raw_cpu_largest = None
    for k in sizes:
        needs, offers, _towns = instance(k)
        stats: dict = {}
        started, cpu = time.perf_counter(), time.process_time()
        result = match(needs, offers, today=TODAY, stats=stats)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        raw, raw_cpu, arcs = raw_solve(needs, offers)
        assert arcs == stats["arcs"]
        peak, before = peak_memory(k)
        print(f"| {k}k x {5 * k}k | {arcs:,} | {elapsed:.2f} s | {stats['candidates_s']:.2f} s "
              f"| {raw:.2f} s | {elapsed / raw:.2f}x | {cpu / raw_cpu:.2f}x | {peak:.0f} MB "
              f"({before:.0f} MB before match) |")  # fmt: skip
        largest, raw_largest, raw_cpu_largest = (k, needs, offers, result), raw, raw_cpu
    k, needs, offers, result = largest
    optimal: dict[int, int] = defaultdict(int)
    for p in result.proposals:
        optimal[p.need_id] += p.quantity
    best, best_high = weighted_served(needs, optimal)
    first_come, first_high = weighted_served(needs, greedy(needs, offers))
    print(f"\ngreedy first-come (nearest offer first) at {k}k x {5 * k}k: the optimum covers "
          f"{100 * (best / first_come - 1):+.1f} % priority-weighted quantity, "
          f"{100 * (best_high / first_high - 1):+.1f} % for critical and high")  # fmt: skip
    if not args.no_stored:
        runs = [("SQLite", sqlite_run)]
        if not args.no_postgres:
            runs.append(("PostgreSQL", postgres_run))
        for engine, stored in runs:
            seconds, cpu, phases, proposals, unmet = asyncio.run(stored(needs, offers))
            parts = ", ".join(
                f"{phase} {phases[phase + '_s']:.2f} s (CPU {phases[phase + '_cpu_s']:.2f} s)"
                for phase in ("read", "match", "write")
            )
            print(f"stored run on {engine} at {k}k x {5 * k}k (read, match, write, audit, commit): "
                  f"{seconds:.2f} s = {seconds / raw_largest:.2f}x the raw OR-Tools solve; "
                  f"CPU {cpu:.2f} s = {cpu / raw_cpu_largest:.2f}x its CPU; {parts}; "
                  f"{proposals:,} proposals, {unmet:,} unmet lines")  # fmt: skip
    if args.curve_size:
        fairness_curve(args.curve_size, [float(b) for b in args.curve_bounds.split(",")])


if __name__ == "__main__":
    main()
