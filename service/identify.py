"""The identify use case: find or build the customer a checkout belongs to. No HTTP here.

A request runs, on one pooled connection:
  1. find_identity, alone (its own implicit transaction): when exactly one customer
     matches and the request brings nothing new, that snapshot is the answer.
  2. otherwise, in one transaction: lock_identifiers, lock_roots, merge_cluster, commit.
     If a root was demoted between lock_roots' snapshot and its lock, or PostgreSQL
     reports a deadlock or serialization failure, the transaction is rolled back and
     tried again after a short random pause, up to `max_attempts` times in all.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import asyncpg

from .contact_input import ContactDetails
from .sql import Statements

RETRY_PAUSE_SECONDS = 0.002
RETRY_PAUSE_CAP_SECONDS = 0.1


class Outcome(enum.Enum):
    UNCHANGED = "unchanged"
    CREATED_PRIMARY = "created_primary"
    CREATED_SECONDARY = "created_secondary"
    MERGED = "merged"


@dataclass(frozen=True)
class Identity:
    primary_contact_id: int
    emails: list[str]
    phone_numbers: list[str]
    secondary_contact_ids: list[int]
    outcome: Outcome
    retries: int = 0

    def as_json(self) -> dict:
        return {
            "contact": {
                "primaryContactId": self.primary_contact_id,
                "emails": self.emails,
                "phoneNumbers": self.phone_numbers,
                "secondaryContactIds": self.secondary_contact_ids,
            }
        }


class TooMuchContention(RuntimeError):
    """Every attempt met a concurrent change; nothing was written."""


class _RootMoved(Exception):
    """A root locked by lock_roots was changed by a concurrent merge first."""


_RETRYABLE = (_RootMoved, asyncpg.DeadlockDetectedError, asyncpg.SerializationError)


async def identify(
    connection: asyncpg.Connection, statements: Statements, details: ContactDetails, *, max_attempts: int
) -> Identity:
    members = await connection.fetch(statements.find_identity.text, details.email, details.phone_number)
    if members and members[0]["already_known"]:
        return identity_of(members, Outcome.UNCHANGED)
    for attempt in range(1, max_attempts + 1):
        try:
            identity = await _write(connection, statements, details)
            return dataclasses.replace(identity, retries=attempt - 1)
        except _RETRYABLE:
            if attempt == max_attempts:
                break
            await asyncio.sleep(random.uniform(0, min(RETRY_PAUSE_CAP_SECONDS, RETRY_PAUSE_SECONDS * 2**attempt)))
    raise TooMuchContention(f"gave up after {max_attempts} attempts")


async def _write(connection: asyncpg.Connection, statements: Statements, details: ContactDetails) -> Identity:
    async with connection.transaction():
        await connection.execute(statements.lock_identifiers.text, details.email, details.phone_number)
        roots = await connection.fetch(statements.lock_roots.text, details.email, details.phone_number)
        if not all(root["still_root"] for root in roots):
            raise _RootMoved
        members = await connection.fetch(
            statements.merge_cluster.text, details.email, details.phone_number, [root["id"] for root in roots]
        )
    first = members[0]
    if first["demoted_count"]:
        outcome = Outcome.MERGED
    elif first["created_id"] is None:
        outcome = Outcome.UNCHANGED
    elif first["created_id"] == first["id"]:
        outcome = Outcome.CREATED_PRIMARY
    else:
        outcome = Outcome.CREATED_SECONDARY
    return identity_of(members, outcome)


def identity_of(members: Iterable[Mapping], outcome: Outcome) -> Identity:
    """The answer for a customer, from its contacts listed primary first, then oldest first."""
    primary, *secondaries = members
    emails = dict.fromkeys(member["email"] for member in (primary, *secondaries) if member["email"] is not None)
    phones = dict.fromkeys(
        member["phone_number"] for member in (primary, *secondaries) if member["phone_number"] is not None
    )
    return Identity(
        primary_contact_id=primary["id"],
        emails=list(emails),
        phone_numbers=list(phones),
        secondary_contact_ids=[member["id"] for member in secondaries],
        outcome=outcome,
    )
