"""Create, migrate and seed a bench database; the SQL itself is in seed_contacts.sql."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg

SEED_SQL = Path(__file__).with_name("seed_contacts.sql")
# Customer numbers of the scaling clusters: 900000000 + size (see seed_contacts.sql).
SCALE_CUSTOMER_BASE = 900_000_000


@dataclass(frozen=True)
class SeededTable:
    database_url: str
    contacts: int
    mix_customers: int
    seed_seconds: int | float


def migrate(project_dir: Path, database_url: str) -> None:
    """As a user would: `run.py migrate`, so the bench runs on the service's real schema."""
    subprocess.run(
        [sys.executable, "run.py", "migrate"],
        cwd=project_dir, env=_env_with(database_url), check=True, stdout=subprocess.DEVNULL,
    )


async def seed(database_url: str, mix_contacts: int, scale_sizes: tuple[int, ...]) -> SeededTable:
    connection = await asyncpg.connect(database_url)
    try:
        started = time.perf_counter()
        # The seeded links are checked afterwards by `run.py check`; skipping the foreign
        # key triggers for this one session makes seeding about a third faster.
        await connection.execute("SET session_replication_role = replica")
        async with connection.transaction():
            await connection.execute(
                "SELECT set_config('bench.mix_contacts', $1, true), set_config('bench.scale_sizes', $2, true)",
                str(mix_contacts), ",".join(map(str, scale_sizes)),
            )
            await connection.execute(SEED_SQL.read_text(encoding="utf-8"))
        await connection.execute("RESET session_replication_role")
        # Fresh statistics and visibility map, as a table that has lived for a while has.
        await connection.execute("VACUUM ANALYZE contact")
        seconds = time.perf_counter() - started
        row = await connection.fetchrow("SELECT mix_customers, contacts FROM bench_seed")
    finally:
        await connection.close()
    return SeededTable(database_url, row["contacts"], row["mix_customers"], round(seconds, 1))


async def count_contacts(database_url: str) -> int:
    connection = await asyncpg.connect(database_url)
    try:
        return await connection.fetchval("SELECT count(*) FROM contact")
    finally:
        await connection.close()


async def largest_customer(database_url: str) -> int:
    """Contacts in the largest customer (a whole-table count: for small bench tables only)."""
    connection = await asyncpg.connect(database_url)
    try:
        return await connection.fetchval(
            "SELECT coalesce(max(members), 0) FROM (SELECT count(*) AS members FROM contact"
            " WHERE deleted_at IS NULL GROUP BY coalesce(linked_id, id)) AS customers")
    finally:
        await connection.close()


def check(project_dir: Path, database_url: str) -> bool:
    """`run.py check` on the seeded data: exit status 0 means every invariant holds."""
    result = subprocess.run(
        [sys.executable, "run.py", "check"],
        cwd=project_dir, env=_env_with(database_url), capture_output=True, text=True,
    )
    if result.returncode != 0:
        print(result.stdout[-2000:], result.stderr[-2000:], file=sys.stderr)
    return result.returncode == 0


def _env_with(database_url: str) -> dict[str, str]:
    import os

    return {**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"}
