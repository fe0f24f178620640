"""Schema migrations: the plain SQL files in migrations/, applied with yoyo.

Several processes may start at once; a session-level advisory lock (sql/lock_migrations.sql),
held on a connection of its own, lets one apply the migrations while the others wait
and then find nothing left to do.
"""

from __future__ import annotations

import functools
import logging
from urllib.parse import urlsplit, urlunsplit

import psycopg
from yoyo import get_backend, read_migrations

from .layout import MIGRATIONS_DIR
from .sql import Statements

log = logging.getLogger(__name__)


def apply_migrations(database_url: str, statements: Statements) -> list[str]:
    """Apply every pending migration; returns the ids of those applied."""
    with psycopg.connect(database_url, autocommit=True) as lock_connection:
        lock_connection.execute(statements.lock_migrations.text)
        backend = get_backend(_yoyo_url(database_url))
        try:
            pending = backend.to_apply(read_migrations(str(MIGRATIONS_DIR)))
            backend.apply_migrations(pending)
        finally:
            backend.connection.close()
    applied = [migration.id for migration in pending]
    if applied:
        log.info("applied migrations: %s", ", ".join(applied))
    return applied


@functools.cache
def migration_ids() -> frozenset[str]:
    """The ids yoyo gives the migrations in migrations/: their file names without .sql.
    Read once: the files a running service was started with do not change under it."""
    return frozenset(path.stem for path in MIGRATIONS_DIR.glob("*.sql") if not path.stem.endswith(".rollback"))


def pending_migrations(database_url: str) -> list[str]:
    backend = get_backend(_yoyo_url(database_url))
    try:
        return [migration.id for migration in backend.to_apply(read_migrations(str(MIGRATIONS_DIR)))]
    finally:
        backend.connection.close()


def _yoyo_url(database_url: str) -> str:
    """yoyo picks its driver from the scheme: postgresql+psycopg is psycopg 3."""
    return urlunsplit(urlsplit(database_url)._replace(scheme="postgresql+psycopg"))
