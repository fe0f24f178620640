"""Blocked values: what identify_contact treats as absent (README "Protecting the identity graph").

The use cases behind `run.py blocklist` and /blocklist/{kind}/{value}. A value is stored
normalized as the service normalizes requests: an email lowercased; a phone, when
DEFAULT_PHONE_REGION is set and it is a valid number there, in E.164, otherwise as digits with
an optional leading + (so `000-000-0000` can be blocked, and matches requests whatever the
region). identify_contact compares a request's phone in both forms.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from .contact_input import InvalidInput, normalize_email, normalize_phone_number
from .phone_numbers import InvalidPhoneNumber, to_e164
from .sql import Statements

KINDS = ("email", "phone")
SOURCES = ("default", "admin", "auto")


@dataclass(frozen=True)
class BlockedValue:
    kind: str
    value: str
    reason: str
    source: str
    created_at: datetime

    def as_json(self) -> dict:
        return {"kind": self.kind, "value": self.value, "reason": self.reason, "source": self.source,
                "createdAt": self.created_at.isoformat()}


def normalized_value(kind: str, raw: str, phone_region: str) -> str:
    """`raw` as the blocklist stores it; InvalidInput when it cannot be an email or phone at all."""
    if kind not in KINDS:
        raise InvalidInput("invalid-parameter", f"kind must be email or phone, not {kind!r}.", "kind")
    value = normalize_email(raw) if kind == "email" else normalize_phone_number(raw)
    if value is None:
        raise InvalidInput("invalid-parameter", f"Give the {kind} to block.", "value")
    if kind == "phone" and phone_region:
        try:
            return to_e164(value, phone_region)
        except InvalidPhoneNumber:
            return value
    return value


def _blocked(row: asyncpg.Record | None) -> BlockedValue | None:
    return BlockedValue(**row) if row is not None else None


async def block(connection, statements: Statements, kind: str, value: str, *, reason: str) -> BlockedValue:
    return _blocked(await connection.fetchrow(statements.block_identifier.text, kind, value, reason, "admin"))


async def unblock(connection, statements: Statements, kind: str, value: str) -> BlockedValue | None:
    return _blocked(await connection.fetchrow(statements.unblock_identifier.text, kind, value))


async def find(connection, statements: Statements, kind: str, value: str) -> BlockedValue | None:
    return _blocked(await connection.fetchrow(statements.find_blocked_identifier.text, kind, value))


async def every_blocked_value(connection, statements: Statements, source: str | None) -> list[BlockedValue]:
    return [_blocked(row) for row in await connection.fetch(statements.list_blocked_identifiers.text, source)]
