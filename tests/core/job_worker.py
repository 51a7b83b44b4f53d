"""`commons worker` for the multi-process queue tests: the real domains plus a slow test job,
a line appended to $JOB_TEST_SENDS for every mail actually written, and a file
$JOB_TEST_SENDS.ready-PID once the worker has imported everything and starts its loop."""

import asyncio
import os
from pathlib import Path

from core import mail, worker
from core.app import load_domains
from core.db import Database
from core.domain import Domain, Extensions
from core.settings import Settings

_write_eml = mail._write_eml


def _counting_write(folder, item, data):
    _write_eml(folder, item, data)
    # O_APPEND: both processes' lines land whole in one file.
    with open(os.environ["JOB_TEST_SENDS"], "a") as sends:
        sends.write(f"{os.getpid()} {item.id}\n")


async def slow(session, payload):
    """Job `t.slow`: marks its start, takes `seconds`, marks its end (by this process)."""
    folder = Path(payload["folder"])
    (folder / f"started-{os.getpid()}").touch()
    await asyncio.sleep(payload["seconds"])
    (folder / f"done-{os.getpid()}").touch()


def main() -> None:
    mail._write_eml = _counting_write
    test_domain = Domain(name="t", package_dir=Path("."), jobs={"t.slow": slow})
    database = Database(Settings(), Extensions([*load_domains(), test_domain]))
    Path(f"{os.environ['JOB_TEST_SENDS']}.ready-{os.getpid()}").touch()
    asyncio.run(worker.run(database))


if __name__ == "__main__":
    main()
