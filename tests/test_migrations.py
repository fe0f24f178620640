"""Migrations apply once, however many processes start at the same moment."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit, urlunsplit

import psycopg

from service.migrations import MIGRATIONS_DIR, apply_migrations, pending_migrations
from service.sql import Statements


def test_concurrent_starts_apply_each_migration_exactly_once(server_url):
    name = f"identity_migrations_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            applied = list(pool.map(lambda _: apply_migrations(url, Statements.load()), range(4)))

        migration_count = len(list(MIGRATIONS_DIR.glob("*.sql")))
        assert sorted(len(ids) for ids in applied) == [0, 0, 0, migration_count]
        assert pending_migrations(url) == []
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
