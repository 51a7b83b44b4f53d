"""The `commons` command line: serve, migrate, back up, create an admin, load demo data, jobs."""

import asyncio
import contextlib
import getpass
import sys
from pathlib import Path

import typer
import uvicorn

from core.settings import Settings

app = typer.Typer(help="Recovery Commons operator commands.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema commands.", no_args_is_help=True)
app.add_typer(db_app, name="db")


def _cut_cjk_font() -> None:
    # Here, in the parent, before web workers fork: the first start on a machine cuts the
    # font once (a few seconds), and every document after uses the small cut.
    from core import fonts

    cut = fonts.prepare()
    if cut is not None:
        typer.echo(f"CJK font for PDFs: {cut}")


def _spawn_workers_bare() -> None:
    """uvicorn starts each worker with multiprocessing's spawn, which first runs the parent's
    __main__ again in the child: for `commons` that is this module, with Typer and the
    commands (2 MB a worker). A worker needs only what uvicorn's config names (core.app), so
    the parent's main is not named to the children."""
    main = sys.modules["__main__"]
    main.__spec__ = None
    with contextlib.suppress(AttributeError):
        del main.__file__


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, help="Worker processes."),
    reload: bool = typer.Option(False, help="Restart on code changes (development)."),
) -> None:
    """Serve the web application (JSON log lines; PROMETHEUS_MULTIPROC_DIR for /metrics with
    several workers)."""
    from core.db import PoolBudgetExceeded, check_connection_budget
    from core.logs import log_config
    from core.metrics import clear_multiprocess_dir

    clear_multiprocess_dir()
    try:
        fits = asyncio.run(check_connection_budget(Settings(), workers))
    except PoolBudgetExceeded as exc:
        typer.echo(f"commons serve: {exc}", err=True)
        raise typer.Exit(1) from exc
    if fits:
        typer.echo(f"database pools: {fits}")
    _cut_cjk_font()
    if workers > 1 or reload:
        _spawn_workers_bare()
    uvicorn.run(
        "core.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        proxy_headers=True,
        log_config=log_config(Settings()),
    )


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("heads", help="Target revision.")) -> None:
    """Apply Alembic migrations to DATABASE_URL."""
    from core.migrate import upgrade

    upgrade(Settings().database_url, revision)
    typer.echo("database is up to date")


@app.command()
def backup(path: Path = typer.Argument(..., help="File to write the backup to.")) -> None:
    """Back up the whole database while the app runs (SQLite file copy or pg_dump -Fc)."""
    from core.backup import BackupError
    from core.backup import backup as run

    try:
        run(Settings().database_url, path)
    except BackupError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"backup written to {path}")


@app.command()
def restore(path: Path = typer.Argument(..., help="Backup file made by `commons backup`.")) -> None:
    """Replace the database's contents with a backup (stop web and worker first)."""
    from core.backup import BackupError
    from core.backup import restore as run

    try:
        run(Settings().database_url, path)
    except BackupError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"database restored from {path}")


@app.command("create-admin")
def create_admin(
    email: str = typer.Argument(..., help="The administrator's email."),
    password: str | None = typer.Option(None, help="Password; asked twice when omitted."),
    name: str = typer.Option("Administrator", help="Display name."),
) -> None:
    """Create a platform administrator."""
    if password is None:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Repeat password: "):
            typer.echo("The passwords differ.", err=True)
            raise typer.Exit(1)
    if len(password) < 10:
        typer.echo("The password must be at least 10 characters.", err=True)
        raise typer.Exit(1)

    async def run() -> None:
        from core.accounts.service import create_admin as create
        from core.db import Database
        from core.errors import DomainError

        database = Database(Settings())
        try:
            async with database.transaction() as session:
                await create(session, email, password, name)
        except DomainError as exc:
            typer.echo(exc.message, err=True)
            raise typer.Exit(1) from exc
        finally:
            await database.dispose()

    asyncio.run(run())
    typer.echo(f"admin {email} created")


async def load_demo(settings: Settings, locale: str = "") -> bool:
    """The kernel's demo data and every domain's, once, written in `locale` (default: the
    deployment's default locale); False when it is already there."""
    from core.app import load_domains, open_database
    from core.demo import load

    domains = load_domains()
    database = open_database(settings, domains)
    try:
        return await load(database, [d.demo for d in domains if d.demo is not None], locale=locale)
    finally:
        await database.dispose()


def _demo_locale(value: str | None) -> str:
    from core.demo import demo_locale

    try:
        return demo_locale(value or Settings().default_locale)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


@app.command()
def demo(
    locale: str = typer.Option(
        None,
        callback=_demo_locale,
        help="Language of the data set: zh_Hans or en (default: COMMONS_DEFAULT_LOCALE).",
    ),
) -> None:
    """Load the demo data set (safe to run again: it loads only once)."""
    loaded = asyncio.run(load_demo(Settings(), locale))
    typer.echo(f"demo data loaded ({locale})" if loaded else "demo data already present")


@app.command()
def worker(
    once: bool = typer.Option(False, help="Run what is due now, then exit."),
) -> None:
    """Run background jobs (mail, SMS, reminders, sweeps, matching) until stopped."""
    from core import worker as jobs_worker
    from core.app import open_database
    from core.logs import configure_logging

    configure_logging(Settings())
    _cut_cjk_font()
    asyncio.run(jobs_worker.run(open_database(Settings()), once=once))


@app.command()
def remind() -> None:
    """Queue reminders to responsible organizations about overdue work."""
    from core.app import open_database
    from recovery.service import reminders

    count = asyncio.run(reminders.run(open_database(Settings())))
    typer.echo(f"{count} reminder(s) queued")


if __name__ == "__main__":
    app()
