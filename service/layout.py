"""Where the service's files are: in a checkout, or installed as a package.

In a checkout (run.py, `make run`, an editable install), sql/ and migrations/ sit at the
top of the project, beside .env and .data/. Installed (pip, the container image, the
.pyz), they are inside the package as service/_sql and service/_migrations, where
pyproject.toml puts every *.sql file of those folders, and the current folder takes the
project's place for .env and relative paths.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
INSTALLED = (PACKAGE_DIR / "_sql").is_dir()
# The folder the package is imported from: the checkout, or site-packages.
IMPORT_DIR = PACKAGE_DIR.parent
SQL_DIR = PACKAGE_DIR / "_sql" if INSTALLED else IMPORT_DIR / "sql"
MIGRATIONS_DIR = PACKAGE_DIR / "_migrations" if INSTALLED else IMPORT_DIR / "migrations"
# The embedded PostgreSQL's data directory when EMBEDDED_PG_DIR is empty.
DEFAULT_EMBEDDED_PG_DIR = Path("identity-data") if INSTALLED else Path(".data/postgres")


def working_root() -> Path:
    """The folder that .env and relative paths in settings are taken from: the project in a
    checkout, the current folder when installed."""
    return Path.cwd() if INSTALLED else IMPORT_DIR
