"""`identity-service check`: the invariant report of sql/check_invariants.sql. Reads only; never migrates."""

from __future__ import annotations

import asyncpg

from .config import Settings
from .db import SERVER_SETTINGS, database
from .sql import Statements


async def find_violations(settings: Settings) -> list[tuple[str, list[int]]]:
    statements = Statements.load()
    async with database(settings) as database_url:
        connection = await asyncpg.connect(database_url, server_settings=SERVER_SETTINGS)
        try:
            return await violations_in(connection, statements)
        finally:
            await connection.close()


async def violations_in(connection: asyncpg.Connection, statements: Statements) -> list[tuple[str, list[int]]]:
    rows = await connection.fetch(statements.check_invariants.text)
    return [(row["violation"], list(row["contact_ids"])) for row in rows]
