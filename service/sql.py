"""The hand-written statements in sql/: loaded and checked once, at start-up.

Each file holds one statement and starts with a header of `--` lines that says what it
does, declares every parameter (`-- $1 name type: help`) and names what it returns,
the indexes it relies on and the locks it takes. A missing file, a missing header
entry, or a parameter used but not declared (or declared but not used) stops the
service from starting instead of failing a request later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from pathlib import Path

from .layout import SQL_DIR

_PARAMETER_LINE = re.compile(r"^\$(\d+) (\w+) ([\w\[\]]+): \S")
_PARAMETER_USE = re.compile(r"\$(\d+)")
_REQUIRED_ENTRIES = ("returns:", "indexes:", "locks:")


class SqlFileError(RuntimeError):
    """A file in sql/ is missing or does not follow the header convention."""


@dataclass(frozen=True)
class Parameter:
    position: int
    name: str
    type: str


@dataclass(frozen=True)
class Statement:
    name: str
    text: str
    parameters: tuple[Parameter, ...]


@dataclass(frozen=True)
class Statements:
    """Every statement the service runs, one field per file `sql/<field>.sql`."""

    identify: Statement
    check_invariants: Statement
    lock_migrations: Statement
    applied_migrations: Statement
    connection_limit: Statement
    find_api_key: Statement
    create_api_key: Statement
    list_api_keys: Statement
    revoke_api_key: Statement
    customers_of: Statement
    customer_events: Statement
    remove_identifier: Statement
    erase_customer: Statement
    record_erased_identifiers: Statement
    record_suppression_key_check: Statement
    find_suppression_key_check: Statement
    block_identifier: Statement
    unblock_identifier: Statement
    find_blocked_identifier: Statement
    list_blocked_identifiers: Statement
    phone_numbers_page: Statement
    renormalize_phone_number: Statement
    renormalize_preview: Statement
    import_create_orders: Statement
    import_check_erasures_on_record: Statement
    import_ignore_blocked_values: Statement
    import_create_identifier_hmac: Statement
    import_snapshot_erasures: Statement
    import_create_suppression_key: Statement
    import_hash_file_identifiers: Statement
    import_analyze_erasures: Statement
    import_skip_erased_orders: Statement
    import_find_sightings: Statement
    import_link_orders: Statement
    import_find_identifiers: Statement
    import_index_identifiers: Statement
    import_analyze_plan: Statement
    import_find_empty_tables: Statement
    import_lock_empty_tables: Statement
    import_lock_contacts: Statement
    import_refresh_erasures: Statement
    import_match_contacts: Statement
    import_analyze_known: Statement
    import_link_customers: Statement
    import_index_graph: Statement
    import_propagate_labels: Statement
    import_walk_existing_customers: Statement
    import_find_oversized_customers: Statement
    import_reject_oversized_orders: Statement
    import_plan_contacts: Statement
    import_summarize: Statement
    import_reserve_ids: Statement
    import_plan_customers: Statement
    import_list_rebuilt_indexes_and_keys: Statement
    import_insert_contacts: Statement
    import_relink_contacts: Statement
    export_contacts: Statement

    @classmethod
    def load(cls, directory: Path = SQL_DIR) -> Statements:
        return cls(**{field.name: read_statement(directory / f"{field.name}.sql") for field in fields(cls)})


def read_statement(path: Path) -> Statement:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SqlFileError(f"{path}: missing") from None
    lines = text.splitlines()
    header = []
    for line in lines:
        if not line.startswith("--"):
            break
        header.append(line[2:].strip())
    body = "\n".join(lines[len(header):]).strip()
    if not header or not header[0] or header[0].endswith(":"):
        raise SqlFileError(f"{path}: must start with a `--` line saying what the statement does")
    for entry in _REQUIRED_ENTRIES:
        if not any(line.startswith(entry) for line in header):
            raise SqlFileError(f"{path}: header has no `-- {entry}` line")
    if not body:
        raise SqlFileError(f"{path}: holds no statement")
    if ";" in _without_comments(body).rstrip().removesuffix(";"):
        raise SqlFileError(f"{path}: must hold exactly one statement")

    parameters = []
    for line in header:
        match = _PARAMETER_LINE.match(line)
        if match:
            position, name, type_ = match.groups()
            parameters.append(Parameter(int(position), name, type_))
    declared = [parameter.position for parameter in parameters]
    used = sorted({int(position) for position in _PARAMETER_USE.findall(_without_comments(body))})
    if declared != list(range(1, len(declared) + 1)):
        raise SqlFileError(f"{path}: parameters must be declared in order $1, $2, …; found {declared}")
    if used != declared:
        raise SqlFileError(f"{path}: header declares parameters {declared} but the statement uses {used}")
    return Statement(name=path.stem, text=body, parameters=tuple(parameters))


def _without_comments(body: str) -> str:
    return "\n".join(line.split("--", 1)[0] for line in body.splitlines())
