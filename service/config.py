"""Settings: every one read from the environment, with its default and one line of help.

`SETTINGS` is the single list of what can be configured; `identity-service --help`, `.env.example`
and the README table all show it (a test keeps them in step).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlsplit

from .layout import DEFAULT_EMBEDDED_PG_DIR, working_root
from .phone_numbers import is_known_region


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("DATABASE_URL", "", "PostgreSQL URL (postgresql://user:password@host:port/dbname); wins over DB_*"),
    Setting("DB_HOST", "", "PostgreSQL host; with neither DATABASE_URL nor DB_HOST the embedded PostgreSQL is used"),
    Setting("DB_PORT", "5432", "PostgreSQL port (with DB_HOST)"),
    Setting("DB_USER", "postgres", "PostgreSQL user (with DB_HOST)"),
    Setting("DB_PASSWORD", "", "PostgreSQL password (with DB_HOST)"),
    Setting("DB_NAME", "postgres", "PostgreSQL database (with DB_HOST)"),
    Setting("EMBEDDED_PG_DIR", "", "data directory of the embedded PostgreSQL, relative to the project (installed: to "
            "the current folder); empty means .data/postgres (installed: identity-data)"),
    Setting("HOST", "0.0.0.0", "address the HTTP server listens on"),
    Setting("PORT", "3000", "port the HTTP server listens on"),
    Setting("WORKERS", "", "worker processes sharing PORT, each with its own pool; empty means one per CPU"),
    Setting("DB_POOL_MIN_SIZE", "2", "connections each service process keeps open"),
    Setting("DB_POOL_MAX_SIZE", "10", "most connections each service process opens"),
    Setting("IDENTIFY_MAX_ATTEMPTS", "8", "tries of one identify under lock contention before answering 503"),
    Setting("DB_STATEMENT_TIMEOUT_MS", "2000", "PostgreSQL cancels a statement (lock waits included) after this long"),
    Setting("DB_ACQUIRE_TIMEOUT_MS", "1000", "longest wait for a pooled connection, or to open one, before a 503"),
    Setting("REQUEST_DEADLINE_MS", "3000", "longest time one request may take in all before a 503"),
    Setting("CLIENT_HEADER_TIMEOUT_MS", "5000",
            "a connection must send a request's headers within this long of opening or of its last answer, or it is closed"),
    Setting("CLIENT_BODY_TIMEOUT_MS", "5000", "longest time to receive a request's whole body before a 408"),
    Setting("MAX_CONNECTIONS", "4096",
            "open client connections per service process; more are refused with a 503 (lowered to fit the open-files limit)"),
    Setting("LOG_LEVEL", "INFO", "DEBUG, INFO, WARNING or ERROR"),
    Setting("IDENTIFY_API_KEY_REQUIRED", "false", "true: POST /identify needs an API key (any scope)"),
    Setting("METRICS_API_KEY_REQUIRED", "false", "true: GET /metrics needs an API key (any scope)"),
    Setting("DEFAULT_PHONE_REGION", "", "ISO 3166 region (US, IN, …) whose numbers are stored in E.164; empty: "
            "phones are stored as digits with an optional leading +"),
    Setting("MAX_EMAILS_PER_CUSTOMER", "50", "a merge or new contact that would give a customer more emails is refused"),
    Setting("MAX_PHONES_PER_CUSTOMER", "50", "a merge or new contact that would give a customer more phones is refused"),
    Setting("MAX_CONTACTS_PER_CUSTOMER", "1000",
            "a merge or new contact that would give a customer more contacts is refused"),
    Setting("AUTO_BLOCK_AFTER", "3", "a value whose requests a cap refused this many times is blocked (source auto)"),
    Setting("SUPPRESSION_KEY", "", "secret for the keyed hashes of erased emails and phones; empty: SUPPRESSION_KEY_FILE"),
    Setting("SUPPRESSION_KEY_FILE", ".data/suppression-key",
            "file holding the suppression key when SUPPRESSION_KEY is empty; created on first start; relative to the "
            "project (installed: to the current folder)"),
)


class ConfigError(ValueError):
    """A setting has a value the service cannot use."""


@dataclass(frozen=True)
class Settings:
    database_url: str | None
    embedded_pg_dir: Path
    host: str
    port: int
    workers: int
    pool_min_size: int
    pool_max_size: int
    identify_max_attempts: int
    statement_timeout_ms: int
    acquire_timeout_ms: int
    request_deadline_ms: int
    client_header_timeout_ms: int
    client_body_timeout_ms: int
    max_connections: int
    log_level: str
    identify_api_key_required: bool
    metrics_api_key_required: bool
    default_phone_region: str
    max_emails_per_customer: int
    max_phones_per_customer: int
    max_contacts_per_customer: int
    auto_block_after: int
    suppression_key: str
    suppression_key_file: Path

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ

        def get(name: str) -> str:
            return env.get(name) or _DEFAULTS[name]

        pool_min_size = _whole_number(get, "DB_POOL_MIN_SIZE", minimum=0)
        pool_max_size = _whole_number(get, "DB_POOL_MAX_SIZE")
        if pool_min_size > pool_max_size:
            raise ConfigError("DB_POOL_MIN_SIZE must not exceed DB_POOL_MAX_SIZE")
        log_level = get("LOG_LEVEL").upper()
        if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ConfigError(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {log_level!r}")
        default_phone_region = get("DEFAULT_PHONE_REGION").upper()
        if default_phone_region and not is_known_region(default_phone_region):
            raise ConfigError(f"DEFAULT_PHONE_REGION must be an ISO 3166 region such as US or IN, "
                              f"not {default_phone_region!r}")
        return cls(
            database_url=_database_url(get),
            embedded_pg_dir=_working_path(get("EMBEDDED_PG_DIR") or str(DEFAULT_EMBEDDED_PG_DIR)),
            host=get("HOST"),
            port=_whole_number(get, "PORT", maximum=65535, minimum=0),
            workers=_whole_number(get, "WORKERS") if get("WORKERS") else len(os.sched_getaffinity(0)),
            pool_min_size=pool_min_size,
            pool_max_size=pool_max_size,
            identify_max_attempts=_whole_number(get, "IDENTIFY_MAX_ATTEMPTS"),
            statement_timeout_ms=_whole_number(get, "DB_STATEMENT_TIMEOUT_MS"),
            acquire_timeout_ms=_whole_number(get, "DB_ACQUIRE_TIMEOUT_MS"),
            request_deadline_ms=_whole_number(get, "REQUEST_DEADLINE_MS"),
            client_header_timeout_ms=_whole_number(get, "CLIENT_HEADER_TIMEOUT_MS"),
            client_body_timeout_ms=_whole_number(get, "CLIENT_BODY_TIMEOUT_MS"),
            max_connections=_whole_number(get, "MAX_CONNECTIONS"),
            log_level=log_level,
            identify_api_key_required=_yes_or_no(get, "IDENTIFY_API_KEY_REQUIRED"),
            metrics_api_key_required=_yes_or_no(get, "METRICS_API_KEY_REQUIRED"),
            default_phone_region=default_phone_region,
            max_emails_per_customer=_whole_number(get, "MAX_EMAILS_PER_CUSTOMER"),
            max_phones_per_customer=_whole_number(get, "MAX_PHONES_PER_CUSTOMER"),
            max_contacts_per_customer=_whole_number(get, "MAX_CONTACTS_PER_CUSTOMER"),
            auto_block_after=_whole_number(get, "AUTO_BLOCK_AFTER"),
            suppression_key=get("SUPPRESSION_KEY"),
            suppression_key_file=_working_path(get("SUPPRESSION_KEY_FILE")),
        )


_DEFAULTS = {setting.name: setting.default for setting in SETTINGS}


def _whole_number(get, name: str, *, minimum: int = 1, maximum: int | None = None) -> int:
    raw = get(name)
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and at most {maximum}" if maximum is not None else ""
        raise ConfigError(f"{name} must be at least {minimum}{upper}, not {value}")
    return value


def _yes_or_no(get, name: str) -> bool:
    raw = get(name).lower()
    if raw not in {"true", "false"}:
        raise ConfigError(f"{name} must be true or false, not {raw!r}")
    return raw == "true"


def _working_path(raw: str) -> Path:
    """A path setting: relative ones are taken from the project (installed: the current folder)."""
    return working_root() / Path(raw).expanduser()


def _database_url(get) -> str | None:
    url = get("DATABASE_URL")
    if url:
        if urlsplit(url).scheme not in {"postgres", "postgresql"}:
            raise ConfigError("DATABASE_URL must start with postgresql:// or postgres://")
        return url
    host = get("DB_HOST")
    if not host:
        return None
    port = _whole_number(get, "DB_PORT", maximum=65535)
    credentials = quote(get("DB_USER"), safe="")
    if get("DB_PASSWORD"):
        credentials += ":" + quote(get("DB_PASSWORD"), safe="")
    return f"postgresql://{credentials}@{host}:{port}/{quote(get('DB_NAME'), safe='')}"


def describe_database(url: str) -> str:
    """The database a URL names, for the log: without the password, and without `user@host`,
    which the log's identifier masking would take for an email address."""
    parts = urlsplit(url)
    host = parts.hostname or dict(parse_qsl(parts.query)).get("host", "localhost")
    where = f"{host}:{parts.port}" if parts.port else host
    return f"database {parts.path.lstrip('/') or parts.username} on {where} as {parts.username or 'the OS user'}"
