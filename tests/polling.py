"""Waiting, boundedly, for something another process or session does."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


async def until(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    """Wait (boundedly: 10 s) until `condition()` is true."""
    for _ in range(200):
        if await condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never saw {what}")
