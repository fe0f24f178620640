"""The customer use cases behind /customers: read a customer, its audit trail, why two of its
contacts are linked; remove an identifier (unmerge); erase it. No HTTP here.

Reads run one statement, without locks or writes. The two changes run a PL/pgSQL function
that locks as /identify does (README "Concurrency") and are tried again, like identify,
when they meet a concurrent change.
"""

from __future__ import annotations

import asyncio
import random
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import asyncpg

from .contact_input import ContactDetails
from .identify import RETRY_PAUSE_CAP_SECONDS, RETRY_PAUSE_SECONDS, TooMuchContention
from .sql import Statements
from .suppression import SuppressionKeyMismatch, identifier_hmacs, key_check

Members = list[Mapping]

_RETRYABLE = (asyncpg.SerializationError, asyncpg.DeadlockDetectedError)


class ContactNotLive(LookupError):
    """The contact a change names is not live (never was, deleted or erased); nothing was written."""


class CustomerTooLargeToLock(RuntimeError):
    """A change locks every email and phone of the customer in one transaction, and this customer
    holds more than PostgreSQL's shared lock table can hold (SQLSTATE 53200); nothing was written."""


def customer_json(members: Members) -> dict:
    """The customer as /identify answers it (from its members listed primary first, then by
    creation: the primary's values first, then every other distinct one), plus every member."""
    primary, *secondaries = members
    return {
        "contact": {
            "primaryContactId": primary["id"],
            "emails": list(dict.fromkeys(member["email"] for member in members if member["email"] is not None)),
            "phoneNumbers": list(dict.fromkeys(
                member["phone_number"] for member in members if member["phone_number"] is not None)),
            "secondaryContactIds": [member["id"] for member in secondaries],
        },
        "contacts": [
            {
                "id": member["id"],
                "email": member["email"],
                "phoneNumber": member["phone_number"],
                "linkPrecedence": member["link_precedence"],
                "linkedId": member["linked_id"],
                "createdAt": member["created_at"].isoformat(),
                "updatedAt": member["updated_at"].isoformat(),
            }
            for member in members
        ],
    }


async def customers_of(connection: asyncpg.Connection, statements: Statements, *, contact_ids: Sequence[int] = (),
                       email: str | None = None, phone_number: str | None = None) -> list[Members]:
    """The customers of these contacts and identifiers, oldest first, each primary first."""
    rows = await connection.fetch(statements.customers_of.text, list(contact_ids), email, phone_number)
    customers: dict[int, Members] = {}
    for row in rows:
        customers.setdefault(row["root_id"], []).append(row)
    return list(customers.values())


async def events_page(connection: asyncpg.Connection, statements: Statements, members: Members, *,
                      after_id: int, page_size: int) -> list[dict]:
    rows = await connection.fetch(statements.customer_events.text, [member["id"] for member in members],
                                  after_id, page_size)
    return [
        {
            "id": row["id"],
            "occurredAt": row["occurred_at"].isoformat(),
            "kind": row["kind"],
            "contactIds": list(row["contact_ids"]),
            "customerId": row["customer_id"],
            "requestId": row["request_id"],
        }
        for row in rows
    ]


@dataclass(frozen=True)
class Link:
    from_contact_id: int
    to_contact_id: int
    field: str  # "email" or "phoneNumber"
    value: str

    def as_json(self) -> dict:
        return {"from": self.from_contact_id, "to": self.to_contact_id, "via": self.field, "value": self.value}


def shortest_chain(members: Members, from_id: int, to_id: int) -> list[Link] | None:
    """The shortest chain of shared identifiers from one contact of a customer to another
    (breadth-first over its contacts, each reached once), or None when there is none: a
    request carrying one identifier of each of two customers merges them without a contact
    holding both."""
    holders: dict[tuple[str, str], list[int]] = {}
    values: dict[int, list[tuple[str, str]]] = {}
    for member in members:
        for field, column in (("email", "email"), ("phoneNumber", "phone_number")):
            if member[column] is not None:
                holders.setdefault((field, member[column]), []).append(member["id"])
                values.setdefault(member["id"], []).append((field, member[column]))
    reached_by: dict[int, Link | None] = {from_id: None}
    pending = deque([from_id])
    while pending and to_id not in reached_by:
        contact_id = pending.popleft()
        for identifier in values.get(contact_id, []):
            for neighbour in holders[identifier]:
                if neighbour not in reached_by:
                    reached_by[neighbour] = Link(contact_id, neighbour, *identifier)
                    pending.append(neighbour)
    if to_id not in reached_by:
        return None
    chain = []
    while (link := reached_by[to_id]) is not None:
        chain.append(link)
        to_id = link.from_contact_id
    return chain[::-1]


async def remove_identifier(connection: asyncpg.Connection, statements: Statements, contact_id: int,
                            identifier: ContactDetails, *, request_id: str, max_attempts: int) -> list[Members]:
    """Remove the identifier from the contact's customer and split it; the resulting customers."""

    async def attempt() -> list[Members]:
        async with connection.transaction():
            outcome = await connection.fetchrow(statements.remove_identifier.text, contact_id, identifier.email,
                                                identifier.phone_number, request_id)
            if not outcome["customer_found"]:
                raise ContactNotLive(contact_id)
            return await customers_of(connection, statements, contact_ids=outcome["primary_ids"])

    return await _locking_every_value(retrying(attempt, max_attempts))


async def erase(connection: asyncpg.Connection, statements: Statements, contact_id: int, *, request_id: str,
                max_attempts: int, suppression_key: bytes) -> tuple[int, list[int]]:
    """Delete every contact of the customer and put its values on the suppression list;
    (the customer's primary, the erased contact ids)."""
    async def attempt() -> tuple[int, list[int]]:
        async with connection.transaction():
            # The list must stay under one key: with another, no value erased before would be recognised.
            this_key = key_check(suppression_key)
            await connection.execute(statements.record_suppression_key_check.text, this_key)
            if await connection.fetchval(statements.find_suppression_key_check.text) != this_key:
                raise SuppressionKeyMismatch("the suppression list was written with another key")
            erased = await connection.fetch(statements.erase_customer.text, contact_id, request_id)
            if not erased:
                raise ContactNotLive(contact_id)
            hmacs = identifier_hmacs(
                suppression_key,
                (row["erased_email"] for row in erased if row["erased_email"] is not None),
                (row["erased_phone_number"] for row in erased if row["erased_phone_number"] is not None),
            )
            await connection.execute(statements.record_erased_identifiers.text, hmacs)
        return erased[0]["erased_customer_id"], sorted(row["erased_contact_id"] for row in erased)

    return await _locking_every_value(retrying(attempt, max_attempts))


async def _locking_every_value(change):
    """Await a change that locks every email and phone of its customer; CustomerTooLargeToLock when
    they did not fit PostgreSQL's shared lock table."""
    try:
        return await change
    except asyncpg.OutOfMemoryError as error:
        if "max_locks_per_transaction" not in (error.hint or ""):
            raise
        raise CustomerTooLargeToLock(str(error)) from None


async def retrying(attempt, max_attempts: int):
    """`attempt()` again after a short random pause when it met a concurrent change, up to max_attempts times."""
    for number in range(1, max_attempts + 1):
        try:
            return await attempt()
        except _RETRYABLE:
            if number == max_attempts:
                break
            await asyncio.sleep(random.uniform(0, min(RETRY_PAUSE_CAP_SECONDS, RETRY_PAUSE_SECONDS * 2**number)))
    raise TooMuchContention(f"gave up after {max_attempts} attempts")
