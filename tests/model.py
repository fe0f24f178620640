"""A small in-memory model of the identify rules, for comparing the service against.

Contacts are created one at a time, so ids grow in creation order. It takes
normalized identifiers. A contact created without a created_at is dated "now", after
every dated one; with one (as `run.py import` dates its contacts), the primary of a
customer is its oldest contact by (created_at, id), so a new contact older than the
customer's primary becomes the primary. Blocked values (kind, value) are treated as
absent; a phone is blocked in its normalized form or as typed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class ModelContact:
    id: int
    email: str | None
    phone_number: str | None
    linked_id: int | None = None
    created_at: datetime | None = None

    def age(self) -> tuple:
        """Sorts oldest first; undated contacts ("now") after every dated one."""
        return (self.created_at is None, self.created_at or datetime.min, self.id)


@dataclass
class IdentityModel:
    contacts: list[ModelContact] = field(default_factory=list)
    blocked: set[tuple[str, str]] = field(default_factory=set)

    def usable(self, email: str | None, phone_number: str | None,
               phone_as_typed: str | None = None) -> tuple[str | None, str | None]:
        """The values with the blocked ones taken out."""
        if ("email", email) in self.blocked:
            email = None
        if {("phone", phone_number), ("phone", phone_as_typed)} & self.blocked:
            phone_number = None
        return email, phone_number

    def identify(self, email: str | None, phone_number: str | None, created_at: datetime | None = None,
                 phone_as_typed: str | None = None) -> dict | None:
        """The answer of /identify; None (422 blocked-identifier, nothing written) when every value is blocked."""
        email, phone_number = self.usable(email, phone_number, phone_as_typed)
        if email is None and phone_number is None:
            return None
        matched = [
            contact for contact in self.contacts
            if (email is not None and contact.email == email)
            or (phone_number is not None and contact.phone_number == phone_number)
        ]
        roots = {contact.linked_id or contact.id for contact in matched}
        if not roots:
            primary = self._create(email, phone_number, None, created_at)
            return self.answer(primary.id)
        cluster = [contact for contact in self.contacts if (contact.linked_id or contact.id) in roots]
        winner = min((contact for contact in cluster if contact.id in roots), key=ModelContact.age)
        known_emails = {contact.email for contact in cluster}
        known_phones = {contact.phone_number for contact in cluster}
        if (email is not None and email not in known_emails) or (
            phone_number is not None and phone_number not in known_phones
        ):
            created = self._create(email, phone_number, winner.id, created_at)
            cluster.append(created)
            winner = min(winner, created, key=ModelContact.age)
        for contact in cluster:
            contact.linked_id = None if contact.id == winner.id else winner.id
        return self.answer(winner.id)

    def root_of(self, contact: ModelContact) -> int:
        return contact.linked_id or contact.id

    def customer_holding(self, email: str | None, phone_number: str | None) -> list[ModelContact]:
        """Every contact of the customer that holds one of these values (none: no customer does)."""
        roots = {self.root_of(contact) for contact in self.contacts
                 if (email is not None and contact.email == email)
                 or (phone_number is not None and contact.phone_number == phone_number)}
        return [contact for contact in self.contacts if self.root_of(contact) in roots]

    def answer(self, primary_id: int) -> dict:
        members = [contact for contact in self.contacts if primary_id in (contact.id, contact.linked_id)]
        ordered = sorted(members, key=lambda contact: (contact.id != primary_id, contact.id))
        return {
            "contact": {
                "primaryContactId": primary_id,
                "emails": list(dict.fromkeys(c.email for c in ordered if c.email is not None)),
                "phoneNumbers": list(dict.fromkeys(c.phone_number for c in ordered if c.phone_number is not None)),
                "secondaryContactIds": [c.id for c in ordered if c.id != primary_id],
            }
        }

    def _create(self, email: str | None, phone_number: str | None, linked_id: int | None,
                created_at: datetime | None) -> ModelContact:
        contact = ModelContact(len(self.contacts) + 1, email, phone_number, linked_id, created_at)
        self.contacts.append(contact)
        return contact
