"""`run.py export`: every live contact as CSV, streamed by COPY, for the reverse trip.

The columns are the API's names (id, email, phoneNumber, linkedId, linkPrecedence,
createdAt), so that `run.py import` reads the file back.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import BinaryIO

import asyncpg

from .config import Settings
from .db import database
from .importer import IMPORT_SERVER_SETTINGS
from .sql import Statements


async def export_file(settings: Settings, target: str) -> int:
    """Write every live contact to the file `target` (standard output for `-`); returns the count."""
    statements = Statements.load()
    async with database(settings) as database_url:
        connection = await asyncpg.connect(database_url, server_settings=IMPORT_SERVER_SETTINGS)
        try:
            return await write_contacts(connection, statements, sys.stdout.buffer if target == "-" else Path(target))
        finally:
            await connection.close()


async def write_contacts(connection: asyncpg.Connection, statements: Statements, output: Path | BinaryIO) -> int:
    # COPY (query) takes the query without its closing semicolon.
    query = statements.export_contacts.text.rstrip().removesuffix(";")
    status = await connection.copy_from_query(query, output=output, format="csv", header=True)
    return int(status.split()[-1])
