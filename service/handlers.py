"""HTTP handlers: read the request, call the use case, write the answer. No SQL here."""

from __future__ import annotations

import json

from aiohttp import web

from .contact_input import InvalidInput, parse_identify_body
from .errors import RETRY_AFTER_SECONDS, Problem
from .identify import TooMuchContention, identify
from .keys import POOL, SETTINGS, STATEMENTS

JSON_CONTENT_TYPES = frozenset({"application/json"})


async def post_identify(request: web.Request) -> web.Response:
    if request.content_type not in JSON_CONTENT_TYPES and not request.content_type.endswith("+json"):
        raise Problem(
            "unsupported-media-type",
            f"Send the body as application/json, not {request.content_type or 'without a Content-Type'}.",
        )
    body = await request.read()
    try:
        details = parse_identify_body(body)
    except InvalidInput as invalid:
        raise Problem(invalid.kind, invalid.detail, field=invalid.field) from None
    try:
        async with request.app[POOL].acquire() as connection:
            identity = await identify(
                connection,
                request.app[STATEMENTS],
                details,
                max_attempts=request.app[SETTINGS].identify_max_attempts,
            )
    except TooMuchContention:
        raise Problem(
            "too-much-contention",
            "Other requests kept changing this customer at the same moment; nothing was written. Try again.",
            headers={"Retry-After": RETRY_AFTER_SECONDS},
        ) from None
    return web.json_response(identity.as_json(), dumps=json.dumps)
