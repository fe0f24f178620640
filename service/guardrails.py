"""The caps on a customer's size and the threshold of auto-quarantine, as identify_contact takes
them (migrations/0009.identify-contact-guardrails-and-renormalize.sql): parameters, never hidden configuration."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from .config import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Guardrails:
    max_emails: int
    max_phones: int
    max_contacts: int
    auto_block_after: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Guardrails:
        return cls(
            max_emails=settings.max_emails_per_customer,
            max_phones=settings.max_phones_per_customer,
            max_contacts=settings.max_contacts_per_customer,
            auto_block_after=settings.auto_block_after,
        )


IGNORED_HEADER = "Identity-Ignored"
GUARDRAIL_HEADER = "Identity-Guardrail"


def protection_headers(ignored: tuple[str, ...], guardrail: str | None) -> dict[str, str]:
    """What the answer tells the client about the protection it met: the fields whose blocked
    values were treated as absent, and the cap that refused a change."""
    headers = {}
    if ignored:
        headers[IGNORED_HEADER] = ", ".join(ignored)
    if guardrail:
        headers[GUARDRAIL_HEADER] = guardrail
    return headers


def only_blocked_values(fields: tuple[str, ...]) -> str:
    """Why a request or an imported order whose every value is blocked cannot be used."""
    are = "are blocked values" if len(fields) > 1 else "is a blocked value"
    return f"The {' and the '.join(fields)} given {are}, which cannot identify a customer; nothing usable was left"


def log_quarantine(quarantined: tuple[str, ...], guardrails: Guardrails, customer_id: int) -> None:
    """One line per value blocked automatically; the value itself is personal data and stays out."""
    for field in quarantined:
        log.warning("blocked the %s of a request after %d guardrail refusals (customer %d); "
                    "`blocklist list --source auto` shows it, `blocklist remove` lifts it",
                    field, guardrails.auto_block_after, customer_id)
