"""Builds the single-file service: `python packaging/build_pyz.py dist/identity-service.pyz`.

shiv puts the project (from pyproject.toml, so with its pinned requirements and the
embedded PostgreSQL of pgserver) into one zipapp that any Python 3.11 runs. At its first
start it unpacks itself into SHIV_ROOT (default ~/.shiv). Run as root, pgserver makes
every parent folder of its binaries readable by everyone, and the service refuses to
start rather than open a home directory (service/embedded.py); so, as root and without
SHIV_ROOT, this file unpacks into /var/cache/identity-service instead. shiv cannot
choose by user, so its __main__.py is replaced by one that does.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
ROOT_UNPACK_DIR = "/var/cache/identity-service"
MAIN = f'''\
# identity-service: shiv's bootstrap, unpacking outside home directories when run as root.
import os

if os.geteuid() == 0 and not os.environ.get("SHIV_ROOT"):
    os.environ["SHIV_ROOT"] = "{ROOT_UNPACK_DIR}"

import _bootstrap

_bootstrap.bootstrap()
'''


def build(target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        built = Path(scratch) / target.name
        subprocess.run([sys.executable, "-m", "shiv", "--quiet", "--compressed",
                        "--python", "/usr/bin/env python3.11", "--entry-point", "service.cli:main",
                        "--output-file", str(built), str(PROJECT_DIR), "--disable-pip-version-check"], check=True)
        replace_main(built, target)
    target.chmod(0o755)


def replace_main(source: Path, target: Path) -> None:
    """A copy of the zipapp `source` with MAIN as its __main__.py, shebang line included."""
    shebang = source.read_bytes().split(b"\n", 1)[0] + b"\n"
    with open(target, "wb") as output:
        output.write(shebang)
        with zipfile.ZipFile(source) as original, zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as copy:
            for entry in original.infolist():
                data = MAIN.encode() if entry.filename == "__main__.py" else original.read(entry)
                copy.writestr(entry, data)


if __name__ == "__main__":
    build(Path(sys.argv[1]))
