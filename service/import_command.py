"""`run.py import` and `run.py export` as commands: paths, the summary, messages and exit statuses."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import asyncpg

from .config import Settings
from .exporter import export_file
from .cli import one_line
from .importer import (IDLE_IN_TRANSACTION_SECONDS, CommitInDoubt, ErasedWhilePlanning, ImportConnectionLost,
                       SuppressionKeyMissing, import_file)
from .file_hashes import HashingEnded
from .order_file import UnreadableFile
from .suppression import SuppressionKeyMismatch

STDIN_REJECTS = "import-rejects.csv"


def run_import(settings: Settings, source: str, *, rejects: str | None, dry_run: bool) -> int:
    rejects_path = Path(rejects or (STDIN_REJECTS if source == "-" else f"{source}.rejects.csv"))
    try:
        summary = asyncio.run(import_file(settings, source, rejects_path, dry_run=dry_run))
    except (FileNotFoundError, IsADirectoryError, PermissionError) as error:
        return _fail(f"cannot open {error.filename}: {error.strerror}")
    except UnreadableFile as error:
        return _fail(f"{source}: {error}; nothing imported")
    except asyncpg.UndefinedTableError:
        return _fail("the database has no contact table yet: run the migrate command first")
    except asyncpg.LockNotAvailableError:
        return _fail("the contact table stayed locked by other transactions (another import?); nothing imported")
    except SuppressionKeyMissing as missing:
        unreadable = f" (cannot read {missing})" if str(missing) else ""
        return _fail(f"the suppression list holds erased values, but neither SUPPRESSION_KEY nor "
                     f"{settings.suppression_key_file}{unreadable} holds the key to recognise them: run the import "
                     "with the service's key; nothing imported")
    except SuppressionKeyMismatch:
        return _fail("the suppression list was written with another suppression key than this one (SUPPRESSION_KEY "
                     f"or {settings.suppression_key_file}): with it, no erased value would be recognised; run the "
                     "import with the service's key; nothing imported")
    except ErasedWhilePlanning:
        return _fail("a customer holding values of the file was erased while the import planned; nothing "
                     "imported: run it again")
    except ImportConnectionLost as lost:
        return _fail(f"the connection to the database was lost ({one_line(lost.__cause__)}); nothing imported: "
                     "run it again (the server ends an import's session idle in its transaction for "
                     f"{IDLE_IN_TRANSACTION_SECONDS} s, say suspended with Ctrl-Z)", status=1)
    except CommitInDoubt as lost:
        return _fail(f"the connection to the database was lost as the import committed ({one_line(lost.__cause__)}): "
                     "it may or may not have been written; importing the file again is safe either way, since it "
                     "creates nothing that is already there", status=1)
    except HashingEnded as ended:
        return _fail(f"{ended}; nothing imported: run it again", status=1)
    except KeyboardInterrupt:
        return _fail("interrupted; nothing imported", status=130)
    print(summary.report())
    if summary.rejected_count:
        print(f"rejected lines (line number and reason) are in {rejects_path}")
    return 0


def run_export(settings: Settings, target: str) -> int:
    try:
        count = asyncio.run(export_file(settings, target))
    except (FileNotFoundError, IsADirectoryError, PermissionError) as error:
        return _fail(f"cannot write {error.filename}: {error.strerror}")
    except asyncpg.UndefinedTableError:
        return _fail("the database has no contact table yet: run the migrate command first")
    print(f"exported {count:,} contacts", file=sys.stderr)
    return 0


def _fail(message: str, *, status: int = 2) -> int:
    print(message, file=sys.stderr)
    return status
