"""HTTP handlers: read the request, call the use case, write the answer. No SQL here."""

from __future__ import annotations

import orjson
from aiohttp import web

from .contact_input import ContactDetails, InvalidInput, parse_identify_body
from .errors import Problem, contention_problem
from .guardrails import Guardrails, log_quarantine, only_blocked_values, protection_headers
from .identify import EveryIdentifierBlocked, TooMuchContention, identify
from .keys import REQUEST_ID, SETTINGS, STATEMENTS
from .observability import METRICS
from .request_body import read_body
from .request_database import request_connection

JSON_CONTENT_TYPES = frozenset({"application/json"})


async def post_identify(request: web.Request) -> web.Response:
    details = await read_contact_details(request)
    settings = request.app[SETTINGS]
    try:
        # Identify is idempotent: whether or not a transaction cut off by the deadline
        # committed, the same request again gives the same customer and writes nothing twice.
        async with request_connection(request) as connection:
            identity = await identify(connection, request.app[STATEMENTS], details, request_id=request[REQUEST_ID],
                                      max_attempts=settings.identify_max_attempts,
                                      guardrails=Guardrails.from_settings(settings))
    except TooMuchContention:
        raise contention_problem() from None
    except InvalidInput as invalid:
        raise Problem(invalid.kind, invalid.detail, field=invalid.field) from None
    except EveryIdentifierBlocked as blocked:
        request.app[METRICS].outcomes.labels("blocked").inc()
        raise Problem("blocked-identifier", f"{only_blocked_values(blocked.fields)} and nothing was written.",
                      field=blocked.fields[0], headers=protection_headers(blocked.fields, None)) from None
    metrics = request.app[METRICS]
    metrics.outcomes.labels(identity.outcome.value).inc()
    if identity.retries:
        metrics.retries.inc(identity.retries)
    if identity.guardrail:
        metrics.guardrail_refusals.labels(identity.guardrail).inc()
        log_quarantine(identity.quarantined, Guardrails.from_settings(settings), identity.primary_contact_id)
    return web.Response(body=orjson.dumps(identity.as_json()), content_type="application/json",
                        headers=protection_headers(identity.ignored, identity.guardrail))


async def read_contact_details(request: web.Request) -> ContactDetails:
    """The request's body, validated and normalized; a Problem (4xx) when it cannot be used."""
    if request.content_type not in JSON_CONTENT_TYPES and not request.content_type.endswith("+json"):
        raise Problem(
            "unsupported-media-type",
            f"Send the body as application/json, not {request.content_type or 'without a Content-Type'}.",
        )
    body = await read_body(request, timeout_seconds=request.app[SETTINGS].client_body_timeout_ms / 1000)
    try:
        return parse_identify_body(body, request.app[SETTINGS].default_phone_region)
    except InvalidInput as invalid:
        raise Problem(invalid.kind, invalid.detail, field=invalid.field) from None
