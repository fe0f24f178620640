"""A small in-memory model of the identify rules, for comparing the service against.

Contacts are created one at a time, so creation order is id order. It takes
normalized identifiers.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ModelContact:
    id: int
    email: str | None
    phone_number: str | None
    linked_id: int | None = None


@dataclass
class IdentityModel:
    contacts: list[ModelContact] = field(default_factory=list)

    def identify(self, email: str | None, phone_number: str | None) -> dict:
        matched = [
            contact for contact in self.contacts
            if (email is not None and contact.email == email)
            or (phone_number is not None and contact.phone_number == phone_number)
        ]
        roots = sorted({contact.linked_id or contact.id for contact in matched})
        if not roots:
            primary = self._create(email, phone_number, linked_id=None)
            return self.answer(primary.id)
        winner = roots[0]
        cluster = [contact for contact in self.contacts if (contact.linked_id or contact.id) in roots]
        for contact in cluster:
            contact.linked_id = None if contact.id == winner else winner
        known_emails = {contact.email for contact in cluster}
        known_phones = {contact.phone_number for contact in cluster}
        if (email is not None and email not in known_emails) or (
            phone_number is not None and phone_number not in known_phones
        ):
            self._create(email, phone_number, linked_id=winner)
        return self.answer(winner)

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

    def _create(self, email: str | None, phone_number: str | None, linked_id: int | None) -> ModelContact:
        contact = ModelContact(len(self.contacts) + 1, email, phone_number, linked_id)
        self.contacts.append(contact)
        return contact
