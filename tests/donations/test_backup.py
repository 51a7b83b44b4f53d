"""`commons backup` / `commons restore` bring back every table's rows and a verifying ledger."""

import pytest
from sqlalchemy import func, inspect, select, table
from typer.testing import CliRunner

from core.cli import app as cli
from donations.service import ledger
from tests.donations.test_ledger import money_flow
from tests.donations.test_money import pledge, receive

pytestmark = pytest.mark.asyncio


async def table_counts(app) -> dict[str, int]:
    async with app.state.database.engine.connect() as conn:
        names = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
        counts = {}
        for name in sorted(names):
            counts[name] = await conn.scalar(select(func.count()).select_from(table(name)))
    return counts


async def ledger_verdict(app) -> dict:
    async with app.state.database.session(write=False) as session:
        return await ledger.verify(session)


def commons(settings, monkeypatch, *args: str):
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


async def test_restore_brings_back_every_row_and_the_ledger(
    app, client, world, settings, monkeypatch, tmp_path
):
    await money_flow(client, world)
    before = await table_counts(app)
    verdict = await ledger_verdict(app)
    assert verdict["ok"] and verdict["entries"] == 5
    assert before["ledger_entries"] == 5 and before["users"] > 0
    path = tmp_path / "commons.backup"
    assert "backup written" in commons(settings, monkeypatch, "backup", str(path))
    assert path.stat().st_size > 0

    # Work done after the backup is what a restore must undo.
    donation = (await pledge(client, world, amount_minor=9_999)).json()
    assert (await receive(client, world, donation["id"], "BANK-AFTER")).status_code == 200
    changed = await table_counts(app)
    assert changed["ledger_entries"] == 6 and changed != before

    await app.state.database.engine.dispose()  # restore wants the app stopped
    assert "restored" in commons(settings, monkeypatch, "restore", str(path))
    assert await table_counts(app) == before
    assert await ledger_verdict(app) == verdict


async def test_restore_refuses_a_missing_file(settings, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    result = CliRunner().invoke(cli, ["restore", str(tmp_path / "nothing.backup")])
    assert result.exit_code == 1
    assert "no backup at" in result.output
