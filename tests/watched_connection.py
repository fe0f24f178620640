"""An import's connection with a hook on one of its statements, for tests that must act at
a given step of an import: see what it holds, make it fail, or start something else."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg


async def _nothing() -> None:
    return None


class WatchedConnection:
    """`connection`, except that executing `statement` first awaits `before()` (which may
    raise instead), and awaits `after()` once it ran."""

    def __init__(self, connection: asyncpg.Connection, statement: str, *,
                 before: Callable[[], Awaitable[None]] = _nothing, after: Callable[[], Awaitable[None]] = _nothing):
        self._connection = connection
        self._statement = statement
        self._before = before
        self._after = after

    def __getattr__(self, name):
        return getattr(self._connection, name)

    async def execute(self, query: str, *args):
        if query != self._statement:
            return await self._connection.execute(query, *args)
        await self._before()
        status = await self._connection.execute(query, *args)
        await self._after()
        return status
