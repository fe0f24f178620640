"""Migrations apply once, however many processes start at the same moment."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from service.migrations import apply_migrations, migration_ids, pending_migrations
from service.sql import Statements


def test_concurrent_starts_apply_each_migration_exactly_once(empty_database_url):
    with ThreadPoolExecutor(max_workers=4) as pool:
        applied = list(pool.map(lambda _: apply_migrations(empty_database_url, Statements.load()), range(4)))

    assert sorted(len(ids) for ids in applied) == [0, 0, 0, len(migration_ids())]
    assert pending_migrations(empty_database_url) == []
