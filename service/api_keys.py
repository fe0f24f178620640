"""`run.py keys create|list|revoke`: manage API keys. The secret is printed once, at creation."""

from __future__ import annotations

import asyncio
import sys

import asyncpg

from .auth import new_secret, secret_hash
from .config import Settings
from .db import SERVER_SETTINGS, database
from .migrations import apply_migrations
from .sql import Statements


async def on_migrated_database(settings: Settings, work):
    """`work(connection, statements)` on the migrated database of the settings, for a command."""
    statements = Statements.load()
    async with database(settings) as database_url:
        await asyncio.to_thread(apply_migrations, database_url, statements)
        connection = await asyncpg.connect(database_url, server_settings=SERVER_SETTINGS)
        try:
            return await work(connection, statements)
        finally:
            await connection.close()


def create_key(settings: Settings, name: str, scope: str) -> int:
    secret = new_secret()

    async def work(connection, statements):
        return await connection.fetchrow(statements.create_api_key.text, name, scope, secret_hash(secret))

    try:
        key = asyncio.run(on_migrated_database(settings, work))
    except asyncpg.UniqueViolationError:
        print(f"a key named {name} exists already", file=sys.stderr)
        return 1
    except asyncpg.CheckViolationError:
        print("a key name is 1 to 64 letters, digits, '.', '_' or '-'", file=sys.stderr)
        return 2
    print(f"created key {key['name']} with scope {key['scope']}; its secret (shown only now):", file=sys.stderr)
    print(secret)
    return 0


def list_keys(settings: Settings) -> int:
    async def work(connection, statements):
        return await connection.fetch(statements.list_api_keys.text)

    keys = asyncio.run(on_migrated_database(settings, work))
    print(f"{'name':<24} {'scope':<6} {'created':<20} {'last used':<20} revoked")
    for key in keys:
        print(f"{key['name']:<24} {key['scope']:<6} {_when(key['created_at']):<20} {_when(key['last_used_at']):<20} "
              f"{_when(key['revoked_at'])}")
    return 0


def revoke_key(settings: Settings, name: str) -> int:
    async def work(connection, statements):
        return await connection.fetchval(statements.revoke_api_key.text, name)

    revoked_at = asyncio.run(on_migrated_database(settings, work))
    if revoked_at is None:
        print(f"no key is named {name}", file=sys.stderr)
        return 1
    print(f"key {name} revoked at {_when(revoked_at)}")
    return 0


def _when(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else "-"
