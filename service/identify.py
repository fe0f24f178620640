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

from .contact_input import ContactDetails, InvalidInput
from .guardrails import Guardrails
from .sql import Statements

RETRY_PAUSE_SECONDS = 0.002
RETRY_PAUSE_CAP_SECONDS = 0.1


class Outcome(enum.Enum):
    UNCHANGED = "unchanged"
    CREATED_PRIMARY = "created_primary"
    CREATED_SECONDARY = "created_secondary"
    MERGED = "merged"
    # Every value the request gave is blocked: there is no customer to answer with.
    BLOCKED = "blocked"


@dataclass(frozen=True)
class Identity:
    primary_contact_id: int
    emails: list[str]
    phone_numbers: list[str]
    secondary_contact_ids: list[int]
    outcome: Outcome
    retries: int = 0
    # The request's fields whose values are blocked and were treated as absent.
    ignored: tuple[str, ...] = ()
    # The cap (a setting's name) that refused the merge or new contact; the customer is unchanged.
    guardrail: str | None = None
    # The request's fields whose values this refusal blocked (AUTO_BLOCK_AFTER was reached).
    quarantined: tuple[str, ...] = ()

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


class EveryIdentifierBlocked(ValueError):
    """Every value the request gave is blocked; nothing was written. `fields` names them."""

    def __init__(self, fields: tuple[str, ...]):
        super().__init__(", ".join(fields))
        self.fields = fields


# identify_contact raises serialization_failure itself when a root it locks has moved.
_RETRYABLE = (asyncpg.SerializationError, asyncpg.DeadlockDetectedError)


async def identify(
    connection: asyncpg.Connection, statements: Statements, details: ContactDetails, *, request_id: str,
    max_attempts: int, guardrails: Guardrails,
) -> Identity:
    """The customer of `details`; `request_id` is kept with the audit events of what it changed.
    EveryIdentifierBlocked, or InvalidInput for a phone that is no number of the region and not
    blocked, when there is none."""
    for attempt in range(1, max_attempts + 1):
        try:
            row = await connection.fetchrow(
                statements.identify.text, details.email, details.phone_number, details.phone_number_as_typed,
                request_id, guardrails.max_emails, guardrails.max_phones, guardrails.max_contacts,
                guardrails.auto_block_after,
            )
        except asyncpg.InvalidParameterValueError:
            raise InvalidInput("invalid-field", details.phone_number_problem, "phoneNumber") from None
        except _RETRYABLE:
            if attempt == max_attempts:
                break
            await asyncio.sleep(random.uniform(0, min(RETRY_PAUSE_CAP_SECONDS, RETRY_PAUSE_SECONDS * 2**attempt)))
            continue
        if row["outcome"] == Outcome.BLOCKED.value:
            raise EveryIdentifierBlocked(tuple(row["ignored"]))
        return Identity(
            primary_contact_id=row["primary_contact_id"],
            emails=row["emails"],
            phone_numbers=row["phone_numbers"],
            secondary_contact_ids=row["secondary_contact_ids"],
            outcome=Outcome(row["outcome"]),
            retries=attempt - 1,
            ignored=tuple(row["ignored"]),
            guardrail=row["guardrail"],
            quarantined=tuple(row["quarantined"]),
        )
    raise TooMuchContention(f"gave up after {max_attempts} attempts")
