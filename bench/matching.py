"""Times one matching run of 2,000 needs against 500 offers through the engine core.matching."""

import random
import time
from datetime import date, timedelta

from core.matching import NeedInput, OfferInput, match

CATEGORIES = [("food", "meals"), ("shelter", "tents"), ("water_sanitation", "litres"),
              ("health", "kits"), ("debris_removal", "excavators")]  # fmt: skip
PRIORITIES = ("critical", "high", "medium", "low")


def inputs(seed: int = 7) -> tuple[list[NeedInput], list[OfferInput]]:
    rng = random.Random(seed)
    start = date(2026, 11, 20)
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
                start + timedelta(days=rng.randint(1, 60)),
                30 + rng.uniform(-1, 1),
                120 + rng.uniform(-1, 1),
            )  # fmt: skip
        )
    offers = []
    for j in range(500):
        category, unit = rng.choice(CATEGORIES)
        begin = start + timedelta(days=rng.randint(0, 30))
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


if __name__ == "__main__":
    needs, offers = inputs()
    started = time.perf_counter()
    result = match(needs, offers)
    elapsed = time.perf_counter() - started
    print(
        f"2,000 needs x 500 offers: {elapsed:.2f} s, "
        f"{len(result.proposals)} proposals, {len(result.unmet)} unmet lines"
    )
