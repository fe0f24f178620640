"""`run.py renormalize [--dry-run]`: bring the stored phone numbers to the current rule after
DEFAULT_PHONE_REGION changed, merging the customers that then share a number.

The phone numbers are read page by page (distinct values, in index order) and each is written
under the current rule in Python (service/phone_numbers.py); the stored spellings of one
number are then handed to the database function renormalize_phone_number together, one call
and one transaction per number, under the locks identify takes (so a running service may keep
serving), and tried again when a concurrent change met it. Numbers that are no valid number of
the region are left as they are, and counted. What changed is printed by contact ids, never
by the numbers themselves.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field

import asyncpg

from .config import Settings
from .customers import retrying
from .guardrails import Guardrails
from .phone_numbers import InvalidPhoneNumber, to_e164
from .sql import Statements

PAGE_SIZE = 1000
REQUEST_ID = "cli:renormalize"


@dataclass
class Summary:
    numbers: int = 0
    contacts_changed: int = 0
    customers_merged: int = 0
    duplicates_deleted: int = 0
    refused_by_a_cap: int = 0
    left_invalid: int = 0
    lines: list[str] = field(default_factory=list)


async def spellings_to_rewrite(connection: asyncpg.Connection, statements: Statements,
                               region: str, summary: Summary) -> dict[str, list[str]]:
    """Each number under the current rule, with the stored spellings that differ from it."""
    rewrites: dict[str, list[str]] = defaultdict(list)
    after = ""
    while True:
        page = [row["phone_number"] for row in
                await connection.fetch(statements.phone_numbers_page.text, after, PAGE_SIZE)]
        for stored in page:
            try:
                current = to_e164(stored, region)
            except InvalidPhoneNumber:
                summary.left_invalid += 1
                continue
            if current != stored:
                rewrites[current].append(stored)
        if len(page) < PAGE_SIZE:
            return rewrites
        after = page[-1]


async def renormalize(connection: asyncpg.Connection, statements: Statements, settings: Settings, *,
                      dry_run: bool) -> Summary:
    summary = Summary()
    if not settings.default_phone_region:
        summary.lines.append("DEFAULT_PHONE_REGION is empty: every stored phone number follows the rule already")
        return summary
    rewrites = await spellings_to_rewrite(connection, statements, settings.default_phone_region, summary)
    guardrails = Guardrails.from_settings(settings)
    for number, (current, stored) in enumerate(sorted(rewrites.items()), start=1):
        summary.numbers += 1
        if dry_run:
            preview = await connection.fetchrow(statements.renormalize_preview.text, stored, current)
            summary.contacts_changed += len(preview["contact_ids"])
            merging = len(preview["customer_ids"])
            summary.customers_merged += max(merging - 1, 0)
            summary.lines.append(f"number {number}: would rewrite contacts {_ids(preview['contact_ids'])}"
                                 + (f"; would merge customers {_ids(preview['customer_ids'])}" if merging > 1 else ""))
            continue

        async def attempt(stored=stored, current=current):
            return await connection.fetchrow(
                statements.renormalize_phone_number.text, stored, current, REQUEST_ID,
                guardrails.max_emails, guardrails.max_phones, guardrails.max_contacts)

        result = await retrying(attempt, settings.identify_max_attempts)
        summary.contacts_changed += len(result["changed_contact_ids"])
        summary.customers_merged += len(result["merged_primary_ids"])
        summary.duplicates_deleted += len(result["deleted_contact_ids"])
        line = f"number {number}: rewrote contacts {_ids(result['changed_contact_ids'])}"
        if result["merged_primary_ids"]:
            line += f"; merged customers {_ids(result['merged_primary_ids'])} into {result['primary_contact_id']}"
        if result["deleted_contact_ids"]:
            line += f"; deleted duplicates {_ids(result['deleted_contact_ids'])}"
        if result["guardrail"]:
            summary.refused_by_a_cap += 1
            line += f"; not merged: {result['guardrail']}"
        summary.lines.append(line)
    return summary


def _ids(ids) -> str:
    return ", ".join(map(str, ids)) or "none"


def run(settings: Settings, *, dry_run: bool) -> int:
    from .api_keys import on_migrated_database

    summary = asyncio.run(on_migrated_database(
        settings, lambda connection, statements: renormalize(connection, statements, settings, dry_run=dry_run)))
    for line in summary.lines:
        print(line)
    verb = "would change" if dry_run else "changed"
    print(f"{summary.numbers} number(s) {verb}: {summary.contacts_changed} contact(s) rewritten, "
          f"{summary.customers_merged} customer(s) merged into another, {summary.duplicates_deleted} duplicate(s) "
          f"deleted, {summary.refused_by_a_cap} merge(s) refused by a cap; {summary.left_invalid} stored number(s) "
          f"are no valid number of {settings.default_phone_region or 'the region'} and were left as they are")
    return 0
