"""The command line: start the service, migrate its database, check its data, import and export it,
manage API keys and blocked values.

Installed, it is the `identity-service` command (pyproject.toml); in a checkout,
`.venv/bin/python run.py` runs the same. A command that cannot run (a setting the service
cannot use, a database that does not answer or does not exist, a port in use) logs one
line saying why and exits with status 1; the traceback is logged too with LOG_LEVEL=DEBUG.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from dataclasses import replace

from dotenv import load_dotenv

from .config import SETTINGS, ConfigError, Settings
from .layout import working_root
from .logs import configure_logging

log = logging.getLogger(__name__)


def main(argv: list[str] | None = None) -> int:
    load_dotenv(working_root() / ".env", override=False)
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_environ()
    except ConfigError as error:
        configure_logging("INFO")
        log.error("configuration error: %s", error)
        return 1
    if getattr(args, "workers", None):  # `serve --workers N` wins over the WORKERS setting
        settings = replace(settings, workers=args.workers)
    configure_logging(settings.log_level)
    try:
        return args.command(settings, args)
    except Exception as error:
        log.error("%s failed: %s", args.command.__name__, one_line(error), exc_info=settings.log_level == "DEBUG")
        return 1


def one_line(error: Exception) -> str:
    """`ExceptionType: message` on one line: some drivers' messages span several."""
    message = " ".join(str(error).split())
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def serve(settings: Settings, args: argparse.Namespace) -> int:
    from .serve import serve
    from .suppression import suppression_key

    suppression_key(settings)  # created on the first start, before any worker needs it
    return serve(settings)


def migrate(settings: Settings, args: argparse.Namespace) -> int:
    from .db import database
    from .migrations import apply_migrations
    from .sql import Statements

    async def run() -> list[str]:
        async with database(settings) as database_url:
            return await asyncio.to_thread(apply_migrations, database_url, Statements.load())

    applied = asyncio.run(run())
    print(f"applied {len(applied)} migration(s)" + (": " + ", ".join(applied) if applied else ""))
    return 0


def check(settings: Settings, args: argparse.Namespace) -> int:
    import asyncpg

    from .check import find_violations

    try:
        violations = asyncio.run(find_violations(settings))
    except asyncpg.UndefinedTableError:
        log.error("the database has no contact table yet: run the migrate command first")
        return 2
    for violation, contact_ids in violations:
        print(f"{violation}: {', '.join(map(str, contact_ids))}")
    print(f"{len(violations)} violation(s)")
    return 1 if violations else 0


def import_(settings: Settings, args: argparse.Namespace) -> int:
    from .import_command import run_import

    return run_import(settings, args.file, rejects=args.rejects, dry_run=args.dry_run)


def export(settings: Settings, args: argparse.Namespace) -> int:
    from .import_command import run_export

    return run_export(settings, args.file)


def keys(settings: Settings, args: argparse.Namespace) -> int:
    from . import api_keys

    if args.action == "create":
        return api_keys.create_key(settings, args.name, args.scope)
    if args.action == "revoke":
        return api_keys.revoke_key(settings, args.name)
    return api_keys.list_keys(settings)


def blocklist(settings: Settings, args: argparse.Namespace) -> int:
    from . import blocklist_cli

    if args.action == "add":
        return blocklist_cli.add(settings, args.kind, args.value, args.reason)
    if args.action == "remove":
        return blocklist_cli.remove(settings, args.kind, args.value)
    return blocklist_cli.list_values(settings, args.source)


def renormalize(settings: Settings, args: argparse.Namespace) -> int:
    from .renormalize import run

    return run(settings, dry_run=args.dry_run)


def _parser() -> argparse.ArgumentParser:
    settings_help = "\n".join(
        f"  {setting.name:<22} {setting.help}" + (f" (default: {setting.default})" if setting.default else "")
        for setting in SETTINGS
    )
    parser = argparse.ArgumentParser(
        description="Customer identity reconciliation service: start it, migrate its database, check its data, "
                    "manage its API keys.",
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
        ("keys", keys, "API keys: `keys create NAME --scope read|admin` (prints the secret once), `keys list`, "
                       "`keys revoke NAME`"),
        ("blocklist", blocklist, "blocked values: `blocklist add email|phone VALUE --reason WHY`, "
                                 "`blocklist remove email|phone VALUE`, `blocklist list [--source default|admin|auto]`"),
        ("renormalize", renormalize, "bring stored phone numbers to the current rule (after DEFAULT_PHONE_REGION "
                                     "changed), merging customers that then share a number; safe while serving"),
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
        if function is keys:
            actions = command.add_subparsers(title="actions", dest="action", metavar="ACTION", required=True)
            create = actions.add_parser("create", help="create a key and print its secret, once")
            create.add_argument("name", help="a name for the key: 1 to 64 letters, digits, '.', '_' or '-'")
            create.add_argument("--scope", choices=("read", "admin"), required=True,
                                help="read: look customers up; admin: also change and erase them")
            actions.add_parser("list", help="list the keys (never their secrets)")
            revoke = actions.add_parser("revoke", help="revoke a key; requests with it get 401 from then on")
            revoke.add_argument("name", help="the key's name")
        if function is blocklist:
            _add_blocklist_actions(command)
        if function is renormalize:
            command.add_argument("--dry-run", action="store_true", help="print what it would change; change nothing")
    parser.set_defaults(command=serve)
    return parser


def _add_blocklist_actions(command: argparse.ArgumentParser) -> None:
    actions = command.add_subparsers(title="actions", dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="block a value: /identify treats it as absent from the next request on")
    remove = actions.add_parser("remove", help="unblock a value (and forget its guardrail refusals)")
    for action in (add, remove):
        action.add_argument("kind", choices=("email", "phone"))
        action.add_argument("value", help="the email or phone, as a request would send it")
    add.add_argument("--reason", required=True, help="why, for the next operator")
    listing = actions.add_parser("list", help="list the blocked values")
    listing.add_argument("--source", choices=("default", "admin", "auto"), help="only those of this source")


def _positive_whole_number(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return int(text)
