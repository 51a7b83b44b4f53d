"""Domains declare job handlers by name; Extensions collects them and refuses duplicates."""

from pathlib import Path

import pytest

from core.domain import Domain, Extensions


async def _handler(session, payload):
    return None


def test_jobs_collected_by_name():
    one = Domain(name="one", package_dir=Path("."), jobs={"one.send": _handler})
    two = Domain(name="two", package_dir=Path("."), jobs={"two.remind": _handler})
    assert Extensions([one, two]).jobs == {"one.send": _handler, "two.remind": _handler}


def test_duplicate_job_name_refused():
    one = Domain(name="one", package_dir=Path("."), jobs={"x.run": _handler})
    two = Domain(name="two", package_dir=Path("."), jobs={"x.run": _handler})
    with pytest.raises(ValueError, match="x.run"):
        Extensions([one, two])
