#!/usr/bin/env python3
"""Customer identity reconciliation service: start it, migrate its database, check, import or export its data."""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import replace

from dotenv import load_dotenv

from service.config import SETTINGS, ConfigError, Settings
from service.logs import configure_logging


def main(argv: list[str] | None = None) -> int:
    load_dotenv(override=False)
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_environ()
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    if getattr(args, "workers", None):  # `serve --workers N` wins over the WORKERS setting
        settings = replace(settings, workers=args.workers)
    configure_logging(settings.log_level)
    return args.command(settings, args)


def serve(settings: Settings, _args: argparse.Namespace) -> int:
    from service.serve import serve

    return serve(settings)


def migrate(settings: Settings, _args: argparse.Namespace) -> int:
    from service.db import database
    from service.migrations import apply_migrations
    from service.sql import Statements

    async def run() -> list[str]:
        async with database(settings) as database_url:
            return await asyncio.to_thread(apply_migrations, database_url, Statements.load())

    applied = asyncio.run(run())
    print(f"applied {len(applied)} migration(s)" + (": " + ", ".join(applied) if applied else ""))
    return 0


def check(settings: Settings, _args: argparse.Namespace) -> int:
    import asyncpg

    from service.check import find_violations

    try:
        violations = asyncio.run(find_violations(settings))
    except asyncpg.UndefinedTableError:
        print("the database has no contact table yet: run `python run.py migrate` first", file=sys.stderr)
        return 2
    for violation, contact_ids in violations:
        print(f"{violation}: {', '.join(map(str, contact_ids))}")
    print(f"{len(violations)} violation(s)")
    return 1 if violations else 0


def import_(settings: Settings, args: argparse.Namespace) -> int:
    from service.import_command import run_import

    return run_import(settings, args.file, rejects=args.rejects, dry_run=args.dry_run)


def export(settings: Settings, args: argparse.Namespace) -> int:
    from service.import_command import run_export

    return run_export(settings, args.file)


def _parser() -> argparse.ArgumentParser:
    settings_help = "\n".join(
        f"  {setting.name:<22} {setting.help}" + (f" (default: {setting.default})" if setting.default else "")
        for setting in SETTINGS
    )
    parser = argparse.ArgumentParser(
        prog="run.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="settings (environment variables, or a .env file; the real environment wins):\n" + settings_help,
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name, function, help_text in (
        ("serve", serve, "serve POST /identify on HOST:PORT (the default command); migrates first"),
        ("migrate", migrate, "apply pending database migrations and exit"),
        ("check", check, "report every invariant violation in the data; exit status 1 if any"),
        ("import", import_, "import historical orders (CSV with a header, or JSON Lines) as if each went through "
                            "/identify in createdAt order"),
        ("export", export, "write every live contact as CSV"),
    ):
        command = commands.add_parser(name, help=help_text, description=help_text)
        command.set_defaults(command=function)
        if function is serve:
            command.add_argument("--workers", type=_positive_whole_number, metavar="N",
                                 help="worker processes sharing the port (default: WORKERS, else one per CPU)")
        if function in (import_, export):
            command.add_argument("file", metavar="FILE", help="the file; - for standard " +
                                 ("input" if function is import_ else "output"))
        if function is import_:
            command.add_argument("--rejects", metavar="PATH",
                                 help="where to write the rejected lines (default: FILE.rejects.csv, "
                                      "or import-rejects.csv for standard input)")
            command.add_argument("--dry-run", action="store_true", help="print the summary; write nothing")
    parser.set_defaults(command=serve)
    return parser


def _positive_whole_number(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return int(text)


if __name__ == "__main__":
    sys.exit(main())
