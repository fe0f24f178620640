"""Every file in sql/ has its header, and the header tells the truth about the statement."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from service.importer import STATEMENT_ORDER as IMPORT_STATEMENT_ORDER
from service.sql import SQL_DIR, SqlFileError, Statements, read_statement

SQL_FILES = sorted(SQL_DIR.glob("*.sql"))


def test_every_file_in_sql_is_a_statement_the_service_loads():
    assert sorted(path.stem for path in SQL_FILES) == sorted(field.name for field in fields(Statements))


@pytest.mark.parametrize("path", SQL_FILES, ids=[path.name for path in SQL_FILES])
async def test_statement_prepares_on_the_migrated_schema_with_the_declared_parameters(pool, path):
    statement = read_statement(path)

    async with pool.acquire() as connection, connection.transaction():
        await _create_import_tables_before(connection, path.stem)
        prepared = await connection.prepare(statement.text)
        prepared_type_oids = [parameter.oid for parameter in prepared.get_parameters()]
        declared_type_oids = [
            await connection.fetchval("SELECT to_regtype($1)::oid", parameter.type)
            for parameter in statement.parameters
        ]

    assert prepared_type_oids == declared_type_oids


async def _create_import_tables_before(connection, name: str) -> None:
    """An import statement reads the temporary tables of the ones before it: run those
    first (on the empty staging table), in this transaction; its end drops the tables."""
    if name not in IMPORT_STATEMENT_ORDER:
        return
    for earlier in IMPORT_STATEMENT_ORDER[:IMPORT_STATEMENT_ORDER.index(name)]:
        statement = read_statement(SQL_DIR / f"{earlier}.sql")
        await connection.execute(statement.text, *[None] * len(statement.parameters))


def test_import_statement_order_names_every_import_statement():
    assert sorted(IMPORT_STATEMENT_ORDER) == sorted(path.stem for path in SQL_FILES if path.stem.startswith("import_"))


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "statement.sql"
    path.write_text(text)
    return path


HEADER = "-- Does a thing.\n-- returns: nothing\n-- indexes: none\n-- locks: none\n"


def test_missing_file_fails_loading(tmp_path):
    with pytest.raises(SqlFileError, match="missing"):
        Statements.load(tmp_path)


def test_file_without_header_fails_loading(tmp_path):
    with pytest.raises(SqlFileError, match="must start with"):
        read_statement(write(tmp_path, "SELECT 1;\n"))


@pytest.mark.parametrize("entry", ["returns:", "indexes:", "locks:"])
def test_file_missing_a_header_entry_fails_loading(tmp_path, entry):
    header = "".join(line + "\n" for line in HEADER.splitlines() if entry not in line)

    with pytest.raises(SqlFileError, match=entry):
        read_statement(write(tmp_path, header + "SELECT 1;\n"))


def test_parameter_used_but_not_declared_fails_loading(tmp_path):
    with pytest.raises(SqlFileError, match="uses"):
        read_statement(write(tmp_path, HEADER + "SELECT $1::text;\n"))


def test_parameter_declared_but_not_used_fails_loading(tmp_path):
    with pytest.raises(SqlFileError, match="uses"):
        read_statement(write(tmp_path, "-- $1 email text: an email\n" + HEADER + "SELECT 1;\n"))


def test_two_statements_in_one_file_fail_loading(tmp_path):
    with pytest.raises(SqlFileError, match="exactly one statement"):
        read_statement(write(tmp_path, HEADER + "SELECT 1; SELECT 2;\n"))

