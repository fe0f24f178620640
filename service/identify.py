"""The identify use case: find or build the customer a checkout belongs to. No HTTP here.

A request is one call of the database function identify_contact (sql/identify.sql), one
round trip on one pooled connection, in the statement's own implicit transaction. When a
customer the request matches was changed by a concurrent merge before the call could lock
it, or PostgreSQL reports a deadlock or serialization failure, the call has written
nothing and is tried again after a short random pause, up to `max_attempts` times in all.
"""

from __future__ import annotations

import asyncio
import enum
import random
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


# identify_contact raises serialization_failure itself when a root it locks has moved.
_RETRYABLE = (asyncpg.SerializationError, asyncpg.DeadlockDetectedError)


async def identify(
    connection: asyncpg.Connection, statements: Statements, details: ContactDetails, *, request_id: str,
    max_attempts: int,
) -> Identity:
    """The customer of `details`; `request_id` is kept with the audit events of what it changed."""
    for attempt in range(1, max_attempts + 1):
        try:
            row = await connection.fetchrow(statements.identify.text, details.email, details.phone_number, request_id)
        except _RETRYABLE:
            if attempt == max_attempts:
                break
            await asyncio.sleep(random.uniform(0, min(RETRY_PAUSE_CAP_SECONDS, RETRY_PAUSE_SECONDS * 2**attempt)))
            continue
        return Identity(
            primary_contact_id=row["primary_contact_id"],
            emails=row["emails"],
            phone_numbers=row["phone_numbers"],
            secondary_contact_ids=row["secondary_contact_ids"],
            outcome=Outcome(row["outcome"]),
            retries=attempt - 1,
        )
    raise TooMuchContention(f"gave up after {max_attempts} attempts")
