"""Every error answer, in one shape: RFC 9457 application/problem+json.

`PROBLEMS` lists each problem type once, with its status and stable title; the
middleware turns our exceptions, aiohttp's HTTP errors and anything unexpected into
a problem answer, so no route writes an error body of its own.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import asyncpg
import orjson
from aiohttp import web

log = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:identity-service:problem:"
RETRY_AFTER_SECONDS = "1"


@dataclass(frozen=True)
class ProblemType:
    status: int
    title: str


PROBLEMS: dict[str, ProblemType] = {
    "invalid-json": ProblemType(400, "Body is not valid JSON"),
    "unreadable-body": ProblemType(400, "Body could not be read"),
    "malformed-request": ProblemType(400, "Not a valid HTTP request"),
    "invalid-body": ProblemType(400, "Body is not a JSON object"),
    "invalid-field": ProblemType(400, "Invalid field"),
    "missing-identifier": ProblemType(400, "Neither email nor phoneNumber given"),
    "invalid-parameter": ProblemType(400, "Invalid query parameter"),
    "missing-api-key": ProblemType(401, "API key required"),
    "unknown-api-key": ProblemType(401, "Unknown API key"),
    "revoked-api-key": ProblemType(401, "API key revoked"),
    "insufficient-scope": ProblemType(403, "API key lacks the scope"),
    "not-found": ProblemType(404, "Not found"),
    "contact-not-found": ProblemType(404, "Contact not found"),
    "contacts-not-linked": ProblemType(404, "Contacts not linked"),
    "not-blocked": ProblemType(404, "Value not blocked"),
    "method-not-allowed": ProblemType(405, "Method not allowed"),
    "request-timeout": ProblemType(408, "Body arrived too slowly"),
    "contact-not-live": ProblemType(409, "Contact not live"),
    "payload-too-large": ProblemType(413, "Body too large"),
    "unsupported-media-type": ProblemType(415, "Body must be application/json"),
    "unsupported-content-encoding": ProblemType(415, "Body compressed in an unknown way"),
    "blocked-identifier": ProblemType(422, "Only blocked identifiers given"),
    "too-much-contention": ProblemType(503, "Too many concurrent changes to this customer"),
    "customer-too-large-to-lock": ProblemType(503, "Customer holds more values than the database can lock at once"),
    "suppression-key-mismatch": ProblemType(503, "Suppression key is not the one the list was written with"),
    "database-unavailable": ProblemType(503, "Database unavailable"),
    "database-timeout": ProblemType(503, "Database too slow"),
    "pool-exhausted": ProblemType(503, "No database connection free"),
    "deadline-exceeded": ProblemType(503, "Request took too long"),
    "not-ready": ProblemType(503, "Not ready"),
    "too-many-connections": ProblemType(503, "Too many connections"),
    "internal-error": ProblemType(500, "Internal server error"),
}


class ConnectionLost(ConnectionError):
    """The database connection broke in a way asyncpg reports as an internal error (see db.pooled_connection)."""


# A connection that cannot be made or was lost, a server going down, not up yet, out of
# resources, or (after a failover) read-only: the database, not the request, is at fault.
DATABASE_UNAVAILABLE = (
    OSError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.DatabaseDroppedError,
    asyncpg.InsufficientResourcesError,
    asyncpg.ReadOnlySQLTransactionError,
)
# A statement stopped by statement_timeout, or by a lock_timeout a DBA set on the role.
DATABASE_TOO_SLOW = (asyncpg.QueryCanceledError, asyncpg.LockNotAvailableError)


_HTTP_ERROR_KINDS = {
    404: "not-found",
    405: "method-not-allowed",
    413: "payload-too-large",
    415: "unsupported-media-type",
}


class Problem(Exception):
    """Raise to answer with the problem `kind` (a key of PROBLEMS)."""

    def __init__(self, kind: str, detail: str, *, field: str | None = None, headers: dict | None = None):
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.field = field
        self.headers = headers or {}


def problem_response(problem: Problem) -> web.Response:
    problem_type = PROBLEMS[problem.kind]
    body = {
        "type": TYPE_PREFIX + problem.kind,
        "title": problem_type.title,
        "status": problem_type.status,
        "detail": problem.detail,
    }
    if problem.field is not None:
        body["field"] = problem.field
    return web.Response(
        status=problem_type.status,
        body=orjson.dumps(body),
        content_type=PROBLEM_CONTENT_TYPE,
        headers=problem.headers,
    )


def _from_http_error(error: web.HTTPException) -> Problem:
    kind = _HTTP_ERROR_KINDS.get(error.status)
    if kind is None:
        raise error
    if isinstance(error, web.HTTPMethodNotAllowed):
        allowed = ", ".join(sorted(error.allowed_methods))
        return Problem(kind, f"{error.method} is not allowed here; use {allowed}.", headers={"Allow": allowed})
    if error.status == 404:
        return Problem(kind, "There is nothing at this path; see GET /openapi.json for the API.")
    return Problem(kind, error.text or error.reason)


@web.middleware
async def problem_middleware(request: web.Request, handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except Problem as problem:
        return problem_response(problem)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        return problem_response(_from_http_error(error))
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return problem_response(Problem("internal-error", "The service failed to answer; this is a bug."))


def database_problem(error: Exception) -> Problem:
    """The 503 for a database failure (one of DATABASE_UNAVAILABLE or DATABASE_TOO_SLOW)."""
    if isinstance(error, DATABASE_TOO_SLOW):
        return Problem("database-timeout", "The database did not finish in time; nothing was written. Try again.",
                       headers={"Retry-After": RETRY_AFTER_SECONDS})
    log.warning("database unavailable: %s: %s", type(error).__name__, error)
    return Problem("database-unavailable", "The database cannot be reached right now; try again shortly.",
                   headers={"Retry-After": RETRY_AFTER_SECONDS})


def too_large_to_lock_problem() -> Problem:
    """The 503 for a change to a customer with more values than the database's lock table holds."""
    return Problem("customer-too-large-to-lock",
                   "A change locks every email and phone number of the customer at once, and this customer holds "
                   "more than the database's lock table can hold; nothing was written. A database administrator "
                   "can raise max_locks_per_transaction (README, How the changes lock). If the customer is small, "
                   "other sessions held the lock table full at that moment: try again.")


def suppression_key_mismatch_problem() -> Problem:
    """The 503 for an erasure by a service whose suppression key is not the list's."""
    return Problem("suppression-key-mismatch",
                   "This service's suppression key is not the one the suppression list was written with, so "
                   "erased values could not be recognised; nothing was erased. Give the service its key back "
                   "(SUPPRESSION_KEY or SUPPRESSION_KEY_FILE; README, DELETE /customers/{contactId}).")


def contention_problem() -> Problem:
    """The 503 for a change that met concurrent changes to the same customer on every try."""
    return Problem("too-much-contention",
                   "Other requests kept changing this customer at the same moment; nothing was written. Try again.",
                   headers={"Retry-After": RETRY_AFTER_SECONDS})
