"""A file of historical orders for `run.py import`: CSV with a header, or JSON Lines.

Each line yields either an order, normalized exactly as POST /identify normalizes a
request (the same functions of contact_input, the phone in E.164 when a region is set),
or a rejection with its line number and reason. The format is told by the first
non-blank character: `{` is JSON Lines, anything else a CSV header. Fields: `email`,
`phoneNumber`, optional `createdAt` (ISO 8601 with an offset; absent or empty: the time
of the import); other fields are ignored. Reasons never quote the rejected values (they
are personal data).

Whether a phone that is no number of the region is rejected depends on the blocked
values, which the database holds: such an order carries the phone as typed and the
problem, and the import decides (sql/import_ignore_blocked_values.sql), as
identify_contact does for a request.
"""

from __future__ import annotations

import csv
import enum
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import chain, islice

from .contact_input import InvalidInput, normalize_email, normalize_phone_number
from .region_phones import RegionPhones

# (line, email, phone_number, phone_number_as_typed, phone_number_problem, created_at): the
# shape COPY sends to import_order; the phone fields are those of ContactDetails.
Order = tuple[int, str | None, str | None, str | None, str | None, datetime]

# Orders read before their phones are read in the region (region_phones), a block at a time.
BLOCK_ORDERS = 20_000

NEITHER_IDENTIFIER = "neither email nor phoneNumber given"
BAD_CREATED_AT = "createdAt must be an ISO 8601 date and time with an offset, like 2024-05-01T12:00:00+02:00"


class RejectedAs(enum.Enum):
    """Why the import left an order out, as its summary counts them."""

    INVALID = "invalid"  # unreadable, an invalid value, neither value, a bad createdAt
    BLOCKED = "blocked"  # nothing usable left once the blocked values are taken out
    ERASED = "erased"  # dated before the erasure of one of its values
    OVER_A_CAP = "over a cap"  # its customer would go over a cap on a customer's size


@dataclass(frozen=True)
class Rejected:
    line: int
    reason: str
    kind: RejectedAs = RejectedAs.INVALID


class UnreadableFile(ValueError):
    """The file as a whole cannot be imported (say, a CSV header without the fields)."""


def read_orders(lines: Iterable[str], imported_at: datetime, phone_region: str, *,
                phones: RegionPhones | None = None) -> Iterator[Order | Rejected]:
    """Orders and rejections, in file order. `lines` keep their line endings (a file
    opened with newline=''), so that CSV fields may span lines. `phone_region`:
    DEFAULT_PHONE_REGION (empty: none); `phones` read the numbers in that region
    (region_phones.region_phones, with worker processes), or this process does."""
    orders = _orders_without_region(lines, imported_at)
    if phone_region:
        orders = _in_region(orders, phones or RegionPhones(phone_region))
    yield from orders


def _orders_without_region(lines: Iterable[str], imported_at: datetime) -> Iterator[Order | Rejected]:
    """The orders with their phones as typed, read under no region."""
    lines = iter(lines)
    blank_lines = 0
    for first in lines:
        if first.strip():
            break
        blank_lines += 1
    else:
        return
    if first.lstrip().startswith("{"):
        yield from _json_lines(chain([first], lines), blank_lines, imported_at)
    else:
        yield from _csv_rows(chain([first], lines), blank_lines, imported_at)


def _in_region(orders: Iterator[Order | Rejected], phones: RegionPhones) -> Iterator[Order | Rejected]:
    """The orders with their phones read in the region, a block of orders at a time."""
    while block := list(islice(orders, BLOCK_ORDERS)):
        phones.read(order[2] for order in block if not isinstance(order, Rejected) and order[2] is not None)
        for order in block:
            if isinstance(order, Rejected) or order[2] is None:
                yield order
            else:
                yield (order[0], order[1], *phones.fields(order[2]), order[5])


def _csv_rows(lines: Iterator[str], skipped: int, imported_at: datetime) -> Iterator[Order | Rejected]:
    reader = csv.reader(lines, strict=True)
    try:
        header = next(reader)
    except csv.Error as error:
        raise UnreadableFile(f"line {skipped + 1}: the CSV header cannot be read: {error}") from None
    columns = {name.strip(): position for position, name in enumerate(header)}
    if "email" not in columns and "phoneNumber" not in columns:
        raise UnreadableFile(f"line {skipped + 1}: the header names neither email nor phoneNumber")
    email_at, phone_at, created_at_at = (columns.get(name) for name in ("email", "phoneNumber", "createdAt"))
    width = len(header)
    line_number = skipped + reader.line_num
    while True:
        first_line = line_number + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            line_number = skipped + reader.line_num
            yield Rejected(first_line, f"not a CSV row: {error}")
            continue
        line_number = skipped + reader.line_num
        if not row:
            continue
        if len(row) != width:
            yield Rejected(first_line, f"{len(row)} fields where the header has {width}")
            continue
        yield _order(
            first_line,
            row[email_at] if email_at is not None else None,
            row[phone_at] if phone_at is not None else None,
            row[created_at_at] if created_at_at is not None else None,
            imported_at,
        )


def _json_lines(lines: Iterator[str], skipped: int, imported_at: datetime) -> Iterator[Order | Rejected]:
    for line_number, line in enumerate(lines, start=skipped + 1):
        if not line.strip():
            continue
        try:
            # NaN and Infinity parse, but no field accepts a float, so they are rejected anyway.
            document = json.loads(line)
        except (ValueError, RecursionError):
            yield Rejected(line_number, "not a JSON document")
            continue
        if not isinstance(document, dict):
            yield Rejected(line_number, "not a JSON object")
            continue
        yield _order(line_number, document.get("email"), document.get("phoneNumber"), document.get("createdAt"),
                     imported_at)


def _order(line: int, email: object, phone_number: object, created_at: object,
           imported_at: datetime) -> Order | Rejected:
    """The order with its phone as typed (phone_number_as_typed too, and no problem), as
    contact_details gives it without a region."""
    try:
        email = normalize_email(email)
        phone_number = normalize_phone_number(phone_number)
    except InvalidInput as error:
        return Rejected(line, error.detail)
    if email is None and phone_number is None:
        return Rejected(line, NEITHER_IDENTIFIER)
    if created_at is None or created_at == "":
        moment = imported_at
    else:
        moment = _moment(created_at)
        if moment is None:
            return Rejected(line, BAD_CREATED_AT)
    return (line, email, phone_number, phone_number, None, moment)


def _moment(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
