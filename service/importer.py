"""`run.py import`: historical orders in bulk, as if each had been sent to POST /identify.

The result is what sending the file's orders one at a time, in createdAt order (file
order for ties), after the data already in the table, would have produced, except that
each new contact carries its order's createdAt. It is computed set-based,
in one transaction, by the `import_*` statements of sql/ (STATEMENT_ORDER):

  1. the parsed, normalized orders are COPYed into a temporary table (rejected lines go
     to the rejects file), and, when the suppression list holds values, the keyed hashes
     of their distinct values (hashed in a second process as the file is read when the
     list held values as the import began, else computed in SQL); blocked values are
     taken out of them, and orders left with nothing usable, with a phone that is no
     number of the region and not blocked, or dated before an erasure of one of their
     values, are rejected;
     the rest are ranked, and each value's first sighting found;
  2. the contact table is locked against other writers (not against readers; into an
     empty table that the import's user owns, against everyone: see 5); an erasure
     committed meanwhile that covers a planned order fails the import; the file's
     identifiers are matched to existing customers;
  3. customers are the connected components of a graph of identifiers (an order links
     its two, an existing customer all of its own), found by label propagation: a few
     set-based rounds, each an UPDATE of the nodes whose neighbours changed;
  4. the existing customers it touches are walked down from their roots, once; a customer
     the import would take over a cap on a customer's size is left out whole, its orders
     rejected;
  5. an order creates a contact when it sights an identifier first; every customer's
     primary is its oldest contact; one INSERT and one UPDATE write the result, each
     recording its changes in identity_event as /identify does (request id cli:import).
     Into such an empty table, the secondary indexes and foreign keys of the empty tables
     (those the catalog fully describes) are dropped before the INSERT and built again
     after it, in one pass each.

So the result is exactly what /identify would have made of the orders not rejected,
sent one at a time: their blocked values are taken out as /identify takes them out, and
none of them takes a customer over a cap (see the README for why the import rejects a
customer over a cap whole rather than refusing its orders one by one as /identify does).

A dry run plans the same way without the lock and rolls back, writing nothing. Any
failure, Ctrl-C included, rolls everything back: the table is as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import sys
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TextIO

import asyncpg

from .config import Settings
from .db import database
from .file_hashes import FileIdentifierHasher, file_identifier_hasher
from .guardrails import Guardrails, only_blocked_values
from .import_progress import ImportProgress
from .order_file import Order, Rejected, RejectedAs, read_orders
from .region_phones import region_phones
from .sql import Statements
from .suppression import SuppressionKeyMismatch, existing_suppression_key, hmac_pads, key_check

# How long the import's session may sit idle in its transaction before the server ends it
# (see IMPORT_SERVER_SETTINGS).
IDLE_IN_TRANSACTION_SECONDS = 30
# The import's own session: no statement timeout (it runs for seconds), room in memory
# for sorting and hashing a million orders, and temporary tables kept in local buffers.
# temp_buffers only takes effect before the session first touches a temporary table.
IMPORT_SERVER_SETTINGS = {
    "application_name": "identity-import",
    "jit": "off",
    "work_mem": "256MB",
    "temp_buffers": "512MB",
    # Building the indexes of an empty table again after writing it sorts in memory, and
    # puts them where the catalog says they were: the database's default tablespace.
    "maintenance_work_mem": "256MB",
    "default_tablespace": "",
    # How long the import waits for the transactions in flight that hold a conflicting lock
    # before it gives up: /identify's writes (see sql/import_lock_contacts.sql), which hold
    # their locks for milliseconds, and, into an empty table, every reader of the two tables
    # too (sql/import_lock_empty_tables.sql).
    "lock_timeout": "10s",
    # An import stopped between two statements (suspended with Ctrl-Z, say) keeps its
    # transaction; once it holds its lock on contact, /identify's writes fail until it is
    # resumed. The server ends a session idle in its transaction this long, which rolls it
    # back and releases the lock. It counts in the whole transaction, but reading the file
    # is not idle (the COPY is under way), and between statements the import only handles
    # what the last one returned (a million rejected lines are written in about 2.5 s).
    "idle_in_transaction_session_timeout": f"{IDLE_IN_TRANSACTION_SECONDS}s",
}
STAGED_COLUMNS = ("line", "email", "phone_number", "phone_number_as_typed", "phone_number_problem", "created_at")
# Every import_* statement in the order import_orders runs them; each relies on the
# temporary tables of the ones before it. Some run only when needed (the hashing in SQL,
# the steps for erasures, the index rebuilds), and the erasure steps again under the lock.
STATEMENT_ORDER = (
    "import_create_orders", "import_check_erasures_on_record", "import_ignore_blocked_values",
    "import_create_identifier_hmac", "import_snapshot_erasures", "import_create_suppression_key",
    "import_hash_file_identifiers", "import_analyze_erasures", "import_skip_erased_orders",
    "import_find_sightings", "import_link_orders", "import_find_identifiers",
    "import_index_identifiers", "import_analyze_plan",
    "import_find_empty_tables", "import_lock_empty_tables", "import_lock_contacts",
    "import_refresh_erasures", "import_match_contacts", "import_analyze_known", "import_link_customers",
    "import_index_graph", "import_propagate_labels", "import_walk_existing_customers",
    "import_find_oversized_customers", "import_reject_oversized_orders",
    "import_plan_contacts", "import_summarize",
    "import_reserve_ids", "import_plan_customers", "import_list_rebuilt_indexes_and_keys", "import_insert_contacts",
    "import_relink_contacts",
)
PROGRESS_EVERY_ORDERS = 10_000
# The request id of the import's events in identity_event.
REQUEST_ID = "cli:import"
ERASED_REASON = "dated before its email or phoneNumber was erased; an erased customer's history is not imported"


class SuppressionKeyMissing(RuntimeError):
    """The suppression list holds erased values, and without the service's key none can be recognised.
    The message says why the key file could not be read, when it could not."""


class ErasedWhilePlanning(RuntimeError):
    """A customer was erased while the import planned, and the plan holds orders dated before it."""


class ImportConnectionLost(RuntimeError):
    """The connection broke before the import committed (the server restarted or went away, the
    network failed, or the server ended a session idle in its transaction for
    IDLE_IN_TRANSACTION_SECONDS): nothing was written. Raised from asyncpg's error."""


class CommitInDoubt(RuntimeError):
    """The connection broke while the import committed: whether it was written is unknown.
    Raised from asyncpg's error."""


# What asyncpg raises when the connection breaks under a call, before an answer (OSError: the
# socket's own). An answer from the server, an error included, says what became of a COMMIT.
CONNECTION_FAILURES = (asyncpg.InterfaceError, asyncpg.InternalClientError, asyncpg.PostgresConnectionError, OSError)


@dataclass(frozen=True)
class ImportRules:
    """What the import applies as /identify does, from the settings: the phone region, the caps,
    and the key of the suppression list (None when there is none yet, or when its file cannot be
    read: then `suppression_key_unreadable` says why). The key is needed only when the list holds
    erased values, so an unreadable key file stops only an import that needs it."""

    phone_region: str
    guardrails: Guardrails
    suppression_key: bytes | None
    suppression_key_unreadable: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> ImportRules:
        try:
            key, unreadable = existing_suppression_key(settings), None
        except OSError as error:
            key, unreadable = None, f"{error.filename}: {error.strerror}"
        return cls(phone_region=settings.default_phone_region, guardrails=Guardrails.from_settings(settings),
                   suppression_key=key, suppression_key_unreadable=unreadable)


@dataclass(frozen=True)
class ImportSummary:
    orders_read: int
    rejected: dict[RejectedAs, int]
    contacts_created: int
    customers_created: int
    customers_merged: int
    seconds: float
    dry_run: bool

    @property
    def rejected_count(self) -> int:
        return sum(self.rejected.values())

    def report(self) -> str:
        rate = self.orders_read / self.seconds if self.seconds else 0
        why = ", ".join(f"{count:,} {kind.value}" for kind, count in self.rejected.items() if count)
        lines = [
            ("orders read", f"{self.orders_read:,}"),
            ("rejected", f"{self.rejected_count:,}" + (f" ({why})" if why else "")),
            ("contacts created", f"{self.contacts_created:,}"),
            ("customers created", f"{self.customers_created:,}"),
            ("customers merged", f"{self.customers_merged:,}"),
            ("seconds", f"{self.seconds:,.1f} ({rate:,.0f} orders/s)"),
        ]
        heading = ["dry run: nothing was written"] if self.dry_run else []
        return "\n".join(heading + [f"{label:<18} {value}" for label, value in lines])


class RejectsFile:
    """The rejected lines, as CSV: line, reason; counted by why they were rejected."""

    def __init__(self, stream: TextIO):
        self._writer = csv.writer(stream)
        self._writer.writerow(("line", "reason"))
        self.counts = dict.fromkeys(RejectedAs, 0)

    def add(self, rejected: Rejected) -> None:
        self._writer.writerow((rejected.line, rejected.reason))
        self.counts[rejected.kind] += 1

    @property
    def count(self) -> int:
        return sum(self.counts.values())


async def import_file(settings: Settings, source: str, rejects_path: Path, *, dry_run: bool) -> ImportSummary:
    """Import FILE, or standard input for `-`, into the configured database."""
    imported_at = datetime.now(timezone.utc)
    rules = ImportRules.from_settings(settings)
    total = None if source == "-" else _count_lines(Path(source))
    lines = (sys.stdin.reconfigure(encoding="utf-8-sig", newline="", errors="surrogateescape") or sys.stdin
             if source == "-" else
             open(source, encoding="utf-8-sig", newline="", errors="surrogateescape"))
    statements = Statements.load()
    progress = ImportProgress(total)
    try:
        # The hashing process first: the region's pool of workers starts threads.
        with (lines, open(rejects_path, "w", encoding="utf-8", newline="") as rejects_stream,
              file_identifier_hasher() if rules.suppression_key is not None else contextlib.nullcontext() as hasher,
              region_phones(rules.phone_region) if rules.phone_region else contextlib.nullcontext() as phones):
            async with database(settings) as database_url:
                connection = await asyncpg.connect(database_url, server_settings=IMPORT_SERVER_SETTINGS)
                try:
                    orders = read_orders(lines, imported_at, rules.phone_region, phones=phones)
                    return await import_orders(connection, statements, orders,
                                               RejectsFile(rejects_stream), rules=rules, dry_run=dry_run,
                                               progress=progress, hasher=hasher)
                finally:
                    await connection.close()
    finally:
        progress.close()


async def import_orders(connection: asyncpg.Connection, statements: Statements,
                        orders: Iterable[Order | Rejected], rejects: RejectsFile, *, rules: ImportRules,
                        dry_run: bool, progress: ImportProgress,
                        hasher: FileIdentifierHasher | None = None) -> ImportSummary:
    """Stage, plan and (unless dry_run) write the orders, in one transaction on `connection`.
    `orders` were read with rules.phone_region. When the suppression list holds values, `hasher`
    hashes the file's as it is read; without one, they are hashed in SQL."""
    started = time.perf_counter()
    read = _Tally()
    # A dry run plans from one snapshot; a real import must see every commit made before
    # its lock was granted, so each of its statements takes a fresh one.
    transaction = connection.transaction(isolation="repeatable_read" if dry_run else "read_committed")
    await transaction.start()
    try:
        await connection.execute(statements.import_create_orders.text)
        # With values on the suppression list, the file's values are hashed as it is read.
        hashing = None
        if await connection.fetchval(statements.import_check_erasures_on_record.text):
            key = await _suppression_key(connection, statements, rules)
            if hasher is not None:
                hasher.start(key)
                hashing = hasher
        await connection.copy_records_to_table(
            "import_order", records=_staged(orders, rejects, progress, read, hashing), columns=STAGED_COLUMNS)
        progress.step(f"read {read.orders:,} orders ({rejects.count:,} rejected); taking out blocked and erased values")
        await _leave_out_blocked_values(connection, statements, rejects)
        await connection.execute(statements.import_create_identifier_hmac.text)
        hashed = False
        if _count(await connection.execute(statements.import_snapshot_erasures.text)):
            await _hash_file_identifiers(connection, statements, rules, hashing)
            hashed = True
            for line in await _skip_erased_orders(connection, statements):
                rejects.add(Rejected(line, ERASED_REASON, RejectedAs.ERASED))
        progress.step("finding first sightings")
        for statement in (statements.import_find_sightings, statements.import_link_orders,
                          statements.import_find_identifiers, statements.import_index_identifiers,
                          statements.import_analyze_plan):
            await connection.execute(statement.text)
        empty_tables: list[str] = []
        if not dry_run:
            progress.step("waiting for the contact table (transactions of /identify in flight)")
            empty_tables = await _lock_contacts(connection, statements)
            if _count(await connection.execute(statements.import_refresh_erasures.text)):
                if not hashed:  # the list was empty when the file had been read: hashed under the lock
                    await _hash_file_identifiers(connection, statements, rules, hashing)
                if await _skip_erased_orders(connection, statements):
                    raise ErasedWhilePlanning(
                        "a customer whose values the file holds was erased while the import planned")
        progress.step("matching existing customers")
        for statement in (statements.import_match_contacts, statements.import_analyze_known,
                          statements.import_link_customers, statements.import_index_graph):
            await connection.execute(statement.text)
        await _propagate_labels(connection, statements, progress)
        await connection.execute(statements.import_walk_existing_customers.text)
        await _leave_out_oversized_customers(connection, statements, rules.guardrails, rejects)
        await connection.execute(statements.import_plan_contacts.text)
        planned = await connection.fetchrow(statements.import_summarize.text)
        if not dry_run:
            progress.step(f"writing {planned['contacts_created']:,} contacts")
            await _write(connection, statements, planned["contacts_created"], empty_tables)
    except BaseException as error:
        await _rollback(connection, transaction)
        # Closed: by the server, or by _rollback, which could not roll back on it.
        if isinstance(error, Exception) and connection.is_closed():
            raise ImportConnectionLost(str(error)) from error
        raise
    if dry_run:
        await transaction.rollback()
    else:
        try:
            await transaction.commit()
        except CONNECTION_FAILURES as error:
            raise CommitInDoubt(str(error)) from error
    return ImportSummary(
        orders_read=read.orders,
        rejected=dict(rejects.counts),
        contacts_created=planned["contacts_created"],
        customers_created=planned["customers_created"],
        customers_merged=planned["customers_merged"],
        seconds=time.perf_counter() - started,
        dry_run=dry_run,
    )


async def _leave_out_blocked_values(connection: asyncpg.Connection, statements: Statements,
                                    rejects: RejectsFile) -> None:
    """Blocked values out of the staged orders; the orders left with nothing usable, or with a
    phone that is no number of the region, to the rejects file."""
    for row in await connection.fetch(statements.import_ignore_blocked_values.text):
        if row["phone_number_problem"] is not None:
            rejects.add(Rejected(row["line"], row["phone_number_problem"]))
        else:
            rejects.add(Rejected(row["line"], f"{only_blocked_values(tuple(row['blocked']))}.", RejectedAs.BLOCKED))


async def _suppression_key(connection: asyncpg.Connection, statements: Statements, rules: ImportRules) -> bytes:
    """The key that the suppression list was written with, needed once it has entries: without
    it, none of them can be recognised."""
    if rules.suppression_key is None:
        raise SuppressionKeyMissing(rules.suppression_key_unreadable or "")
    recorded = await connection.fetchval(statements.find_suppression_key_check.text)
    if recorded is not None and recorded != key_check(rules.suppression_key):
        raise SuppressionKeyMismatch("the suppression list was written with another key")
    return rules.suppression_key


async def _hash_file_identifiers(connection: asyncpg.Connection, statements: Statements, rules: ImportRules,
                                 hasher: FileIdentifierHasher | None) -> None:
    """The keyed hash of every value of the staged orders, into import_identifier_hmac: as `hasher`
    hashed them while the file was read; without one (the suppression list was empty as the
    import began, or the import was given no hasher), computed in SQL."""
    if hasher is not None:
        await connection.copy_to_table("import_identifier_hmac", source=hasher.copy_data(),
                                       columns=("identifier", "identifier_hmac"), format="binary")
    else:
        key = await _suppression_key(connection, statements, rules)
        await connection.execute(statements.import_create_suppression_key.text)
        await connection.copy_records_to_table("import_suppression_key", records=[hmac_pads(key)],
                                               columns=("inner_pad", "outer_pad"))
        await connection.execute(statements.import_hash_file_identifiers.text)
    await connection.execute(statements.import_analyze_erasures.text)


async def _skip_erased_orders(connection: asyncpg.Connection, statements: Statements) -> list[int]:
    """Take the staged orders dated before an erasure in import_erasure out; their lines."""
    rows = await connection.fetch(statements.import_skip_erased_orders.text)
    return [row["line"] for row in rows]


async def _leave_out_oversized_customers(connection: asyncpg.Connection, statements: Statements,
                                         guardrails: Guardrails, rejects: RejectsFile) -> None:
    """Find the customers the import would take over a cap; their orders to the rejects file."""
    status = await connection.execute(statements.import_find_oversized_customers.text,
                                      guardrails.max_emails, guardrails.max_phones, guardrails.max_contacts)
    if not _count(status):
        return
    caps = {"MAX_EMAILS_PER_CUSTOMER": (guardrails.max_emails, "emails"),
            "MAX_PHONES_PER_CUSTOMER": (guardrails.max_phones, "phone numbers"),
            "MAX_CONTACTS_PER_CUSTOMER": (guardrails.max_contacts, "contacts")}
    for row in await connection.fetch(statements.import_reject_oversized_orders.text):
        cap, counted = caps[row["guardrail"]]
        rejects.add(Rejected(row["line"], f"its customer would have {row['would_have']:,} {counted}, more than "
                                          f"{row['guardrail']} ({cap:,}); nothing of that customer was imported",
                             RejectedAs.OVER_A_CAP))


def _count(status: str) -> int:
    """The row count of a command tag: `SELECT 3`, `INSERT 0 3`."""
    return int(status.rsplit(" ", 1)[1])


@dataclass
class _Tally:
    orders: int = 0


async def _staged(orders: Iterable[Order | Rejected], rejects: RejectsFile, progress: ImportProgress,
                  read: _Tally, hasher: FileIdentifierHasher | None) -> AsyncIterator[Order]:
    """The valid orders, for COPY, their values handed to `hasher` when there is one;
    rejections go to the rejects file. Progress every
    PROGRESS_EVERY_ORDERS lines, and a turn of the event loop: COPY suspends only when the
    socket is full, and Ctrl-C (asyncio.run cancels the import) takes effect only where the
    import is suspended, so without it a long file would be read to its end first."""
    unreported = 0
    for order in orders:
        read.orders += 1
        unreported += 1
        if unreported == PROGRESS_EVERY_ORDERS:
            progress.advance(unreported)
            unreported = 0
            await asyncio.sleep(0)
        if isinstance(order, Rejected):
            rejects.add(order)
            continue
        if hasher is not None:
            hasher.add(*order[1:4])
        yield order
    progress.advance(unreported)


async def _propagate_labels(connection: asyncpg.Connection, statements: Statements,
                            progress: ImportProgress) -> None:
    """Rounds of import_propagate_labels until one changes no label."""
    round_number = 1
    while True:
        progress.step(f"linking customers: round {round_number}")
        status = await connection.execute(statements.import_propagate_labels.text, round_number)
        if status == "UPDATE 0":
            return
        round_number += 1


async def _lock_contacts(connection: asyncpg.Connection, statements: Statements) -> list[str]:
    """Lock the contact table against other writers (import_lock_contacts), or, when it is
    empty (and the import's user owns it), against everyone (import_lock_empty_tables); the
    tables found empty under that lock, whose indexes and foreign keys the import builds
    after writing them: none, or contact and maybe identity_event. A table still empty once
    locked stays so until the import writes it."""
    if "contact" in await _empty_tables_unlocked(connection, statements):
        await connection.execute(statements.import_lock_empty_tables.text)
        empty_tables = await connection.fetchval(statements.import_find_empty_tables.text)
        # Filled meanwhile by the first /identify requests: the stronger lock is held, and
        # the indexes are maintained row by row, as into any table with contacts.
        return empty_tables if "contact" in empty_tables else []
    await connection.execute(statements.import_lock_contacts.text)
    return []


async def _empty_tables_unlocked(connection: asyncpg.Connection, statements: Statements) -> list[str]:
    """import_find_empty_tables in a savepoint rolled back at once, which releases the
    ACCESS SHARE locks of its reads: two imports keeping them would deadlock at their
    ACCESS EXCLUSIVE locks."""
    savepoint = connection.transaction()
    await savepoint.start()
    # On a failure, the import's rollback ends the savepoint too.
    empty_tables = await connection.fetchval(statements.import_find_empty_tables.text)
    await savepoint.rollback()
    return empty_tables


async def _write(connection: asyncpg.Connection, statements: Statements, contacts_created: int,
                 empty_tables: list[str]) -> None:
    """The one INSERT and the one UPDATE, each recording its events, after giving the new
    contacts their ids; the INSERT into empty tables with their indexes and foreign keys
    built after it."""
    first_id = 0
    if contacts_created:
        first_id = await connection.fetchval(statements.import_reserve_ids.text, contacts_created)
    await connection.execute(statements.import_plan_customers.text, first_id)
    if contacts_created:
        async with _indexes_and_keys_built_after(connection, statements, empty_tables):
            await connection.execute(statements.import_insert_contacts.text, first_id, REQUEST_ID)
    await connection.execute(statements.import_relink_contacts.text, REQUEST_ID)


@contextlib.asynccontextmanager
async def _indexes_and_keys_built_after(connection: asyncpg.Connection, statements: Statements,
                                        empty_tables: list[str]) -> AsyncIterator[None]:
    """Drop the secondary indexes and foreign keys of the empty tables, and build them again
    once the block has filled the tables (see import_list_rebuilt_indexes_and_keys). On a
    failure the transaction's rollback restores them. The only statements the service runs
    that are not files of sql/: their text is the catalog's own definition of what they
    restore, read by that file's statement."""
    rebuilt = (await connection.fetch(statements.import_list_rebuilt_indexes_and_keys.text, empty_tables)
               if empty_tables else [])
    for structure in rebuilt:
        await connection.execute(structure["drop_statement"])
    yield
    for structure in reversed(rebuilt):
        await connection.execute(structure["build_statement"])
        if structure["comment_statement"] is not None:
            await connection.execute(structure["comment_statement"])


async def _rollback(connection: asyncpg.Connection, transaction) -> None:
    """Roll back if the connection still can; a broken or closing connection rolls back
    on the server by itself when it ends."""
    if connection.is_closed():
        return
    try:
        await transaction.rollback()
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
        connection.terminate()


def _count_lines(path: Path) -> int:
    """Lines in the file, for the progress bar's estimate (the header counts as one too)."""
    count = 0
    with open(path, "rb") as stream:
        while chunk := stream.read(1 << 20):
            count += chunk.count(b"\n")
    return count
