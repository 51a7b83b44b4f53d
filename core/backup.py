"""Whole-database backup and restore: SQLite online backup API, pg_dump/pg_restore on PostgreSQL."""

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(Exception):
    """A backup or restore could not be completed; the message says why."""


def _sqlite_path(database_url: str) -> Path:
    database = make_url(database_url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _libpq_dsn(database_url: str) -> str:
    # pg_dump speaks libpq, which knows nothing of SQLAlchemy's "+asyncpg" driver suffix.
    return make_url(database_url).set(drivername="postgresql").render_as_string(False)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return path


def _run(argv: list[str]) -> None:
    # The DSN (which may hold a password) goes in argv only as --dbname; errors show stderr only.
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{Path(argv[0]).name} failed: {result.stderr.strip()}")


def backup(database_url: str, target: Path) -> None:
    """Write a consistent copy of the live database to `target` while the app keeps running."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if database_url.startswith("sqlite"):
        source = sqlite3.connect(_sqlite_path(database_url))
        destination = sqlite3.connect(target)
        try:
            # The online backup API copies pages under a read lock, so writers are not corrupted.
            source.backup(destination)
        finally:
            destination.close()
            source.close()
        return
    _run([_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={target}",
          f"--dbname={_libpq_dsn(database_url)}"])  # fmt: skip


def restore(database_url: str, source: Path) -> None:
    """Replace the database's whole contents with the backup at `source` (stop the app first)."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"no backup at {source}")
    if database_url.startswith("sqlite"):
        origin = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        destination = sqlite3.connect(_sqlite_path(database_url))
        try:
            origin.backup(destination)
        finally:
            destination.close()
            origin.close()
        return
    # --clean --if-exists drops what is there first; one transaction so a failure changes nothing.
    _run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
          "--exit-on-error", f"--dbname={_libpq_dsn(database_url)}", str(source)])  # fmt: skip
