"""`run.py blocklist add|remove|list`: manage the blocked values (service/blocklist.py)."""

from __future__ import annotations

import asyncio
import sys

from . import blocklist
from .api_keys import on_migrated_database
from .config import Settings
from .contact_input import InvalidInput


def add(settings: Settings, kind: str, raw_value: str, reason: str) -> int:
    value = _normalized(settings, kind, raw_value)
    if value is None:
        return 2
    blocked = asyncio.run(on_migrated_database(
        settings, lambda connection, statements: blocklist.block(connection, statements, kind, value, reason=reason)))
    print(f"blocked {blocked.kind} {blocked.value} ({blocked.reason})")
    return 0


def remove(settings: Settings, kind: str, raw_value: str) -> int:
    value = _normalized(settings, kind, raw_value)
    if value is None:
        return 2
    unblocked = asyncio.run(on_migrated_database(
        settings, lambda connection, statements: blocklist.unblock(connection, statements, kind, value)))
    if unblocked is None:
        print(f"{kind} {value} is not blocked", file=sys.stderr)
        return 1
    print(f"unblocked {unblocked.kind} {unblocked.value} (it was blocked by {unblocked.source}: {unblocked.reason}); "
          "customers it linked before stay linked: see remove-identifier")
    return 0


def list_values(settings: Settings, source: str | None) -> int:
    values = asyncio.run(on_migrated_database(
        settings, lambda connection, statements: blocklist.every_blocked_value(connection, statements, source)))
    print(f"{'kind':<6} {'value':<32} {'source':<8} {'created':<20} reason")
    for blocked in values:
        print(f"{blocked.kind:<6} {blocked.value:<32} {blocked.source:<8} "
              f"{blocked.created_at.strftime('%Y-%m-%d %H:%M:%S'):<20} {blocked.reason}")
    return 0


def _normalized(settings: Settings, kind: str, raw_value: str) -> str | None:
    try:
        return blocklist.normalized_value(kind, raw_value, settings.default_phone_region)
    except InvalidInput as invalid:
        print(invalid.detail, file=sys.stderr)
        return None
