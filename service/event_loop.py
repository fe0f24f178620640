"""The event loop every serving process runs on."""

from __future__ import annotations

import asyncio


def use_uvloop() -> None:
    """uvloop: in docs/benchmarks.md it cuts the service's CPU per request by a fifth to a third."""
    import uvloop

    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
