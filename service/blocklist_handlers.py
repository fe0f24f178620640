"""HTTP handlers of /blocklist/{kind}/{value} (scope admin, checked by service/auth.py before
any of these runs): read, block and unblock one value. No SQL here (service/blocklist.py)."""

from __future__ import annotations

import orjson
from aiohttp import web

from . import blocklist
from .contact_input import InvalidInput
from .errors import Problem
from .handlers import JSON_CONTENT_TYPES
from .keys import SETTINGS, STATEMENTS
from .request_body import read_body
from .request_database import request_connection

MAX_REASON_LENGTH = 500


def _json(blocked: blocklist.BlockedValue) -> web.Response:
    return web.Response(body=orjson.dumps(blocked.as_json()), content_type="application/json")


def _kind_and_value(request: web.Request) -> tuple[str, str]:
    kind = request.match_info["kind"]
    try:
        return kind, blocklist.normalized_value(kind, request.match_info["value"],
                                                request.app[SETTINGS].default_phone_region)
    except InvalidInput as invalid:
        raise Problem("invalid-parameter", invalid.detail, field="kind" if invalid.field == "kind" else "value") \
            from None


async def _the_blocked_value(request: web.Request, use_case) -> web.Response:
    """The answer of `use_case` (blocklist.find or blocklist.unblock) on the path's value: it, or a 404."""
    kind, value = _kind_and_value(request)
    async with request_connection(request) as connection:
        blocked = await use_case(connection, request.app[STATEMENTS], kind, value)
    if blocked is None:
        raise Problem("not-blocked", f"This {kind} is not blocked.")
    return _json(blocked)


async def get_blocked_value(request: web.Request) -> web.Response:
    return await _the_blocked_value(request, blocklist.find)


async def put_blocked_value(request: web.Request) -> web.Response:
    kind, value = _kind_and_value(request)
    reason = await _reason(request)
    async with request_connection(request) as connection:
        blocked = await blocklist.block(connection, request.app[STATEMENTS], kind, value, reason=reason)
    return _json(blocked)


async def delete_blocked_value(request: web.Request) -> web.Response:
    return await _the_blocked_value(request, blocklist.unblock)


async def _reason(request: web.Request) -> str:
    """The body {"reason": "..."}: why the value is blocked, for the next operator."""
    if request.content_type not in JSON_CONTENT_TYPES:
        raise Problem("unsupported-media-type", 'Send {"reason": "..."} as application/json.')
    body = await read_body(request, timeout_seconds=request.app[SETTINGS].client_body_timeout_ms / 1000)
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise Problem("invalid-json", "The request body is not valid JSON.") from None
    reason = document.get("reason") if isinstance(document, dict) else None
    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON_LENGTH or "\x00" in reason:
        raise Problem("invalid-field", f'Give {{"reason": "..."}}: why the value is blocked, 1 to {MAX_REASON_LENGTH} '
                                       "characters.", field="reason")
    return reason.strip()
