"""A web worker starts without the heavy libraries only some requests or jobs need."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Loaded where they are used (matching runs, spreadsheets, PDFs, XML exports, HTTP calls,
# queueing a job on PostgreSQL, a calendar feed, a resident's photo):
# each would add megabytes to every web worker (issue 11's ≤ 120 MB per worker).
HEAVY = (
    "numpy",
    "ortools",
    "openpyxl",
    "fpdf",
    "lxml",
    "httpx",
    "scipy",
    "highspy",
    "pgqueuer",
    "icalendar",
    "PIL",
)


def test_a_fresh_app_loads_none_of_the_heavy_libraries(tmp_path):
    script = (
        "import json, sys\n"
        "from core.app import create_app\n"
        "from core.settings import Settings\n"
        f"create_app(Settings(database_url='sqlite+aiosqlite:///{tmp_path}/x.db'))\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
