"""HTTP handlers: read the request, call the use case, write the answer. No SQL here."""

from __future__ import annotations

import asyncio

import orjson
from aiohttp import web

from .contact_input import ContactDetails, InvalidInput, parse_identify_body
from .db import pooled_connection
from .errors import DATABASE_TOO_SLOW, DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS, Problem, database_problem
from .identify import TooMuchContention, identify
from .keys import POOL, SETTINGS, STATEMENTS
from .observability import METRICS
from .request_body import read_body

JSON_CONTENT_TYPES = frozenset({"application/json"})


async def post_identify(request: web.Request) -> web.Response:
    details = await read_contact_details(request)
    settings = request.app[SETTINGS]
    deadline = asyncio.timeout(settings.request_deadline_ms / 1000)
    try:
        async with deadline:
            async with pooled_connection(request.app[POOL], timeout=settings.acquire_timeout_ms / 1000) as connection:
                identity = await identify(
                    connection, request.app[STATEMENTS], details, max_attempts=settings.identify_max_attempts
                )
    except TooMuchContention:
        raise Problem(
            "too-much-contention",
            "Other requests kept changing this customer at the same moment; nothing was written. Try again.",
            headers={"Retry-After": RETRY_AFTER_SECONDS},
        ) from None
    except TimeoutError:
        # Identify is idempotent: whether or not a cut-off transaction committed, the same
        # request again gives the same customer and writes nothing twice.
        if deadline.expired():
            raise Problem("deadline-exceeded", "The request took too long and was stopped. Try again.",
                          headers={"Retry-After": RETRY_AFTER_SECONDS}) from None
        raise Problem("pool-exhausted", "Every database connection stayed busy for too long. Try again.",
                      headers={"Retry-After": RETRY_AFTER_SECONDS}) from None
    except (*DATABASE_UNAVAILABLE, *DATABASE_TOO_SLOW) as error:  # after TimeoutError, an OSError too
        raise database_problem(error) from None
    metrics = request.app[METRICS]
    metrics.outcomes.labels(identity.outcome.value).inc()
    if identity.retries:
        metrics.retries.inc(identity.retries)
    return web.Response(body=orjson.dumps(identity.as_json()), content_type="application/json")


async def read_contact_details(request: web.Request) -> ContactDetails:
    """The request's body, validated and normalized; a Problem (4xx) when it cannot be used."""
    if request.content_type not in JSON_CONTENT_TYPES and not request.content_type.endswith("+json"):
        raise Problem(
            "unsupported-media-type",
            f"Send the body as application/json, not {request.content_type or 'without a Content-Type'}.",
        )
    body = await read_body(request, timeout_seconds=request.app[SETTINGS].client_body_timeout_ms / 1000)
    try:
        return parse_identify_body(body)
    except InvalidInput as invalid:
        raise Problem(invalid.kind, invalid.detail, field=invalid.field) from None
