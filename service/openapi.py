"""GET /openapi.json: the OpenAPI 3.1 description of the whole API, kept in service/openapi.json."""

from __future__ import annotations

import json
from pathlib import Path

from aiohttp import web

from .keys import OPENAPI_DOCUMENT

OPENAPI_PATH = Path(__file__).with_name("openapi.json")


def load_document(path: Path = OPENAPI_PATH) -> bytes:
    """Read once, when the app is built; a broken file stops start-up instead of failing a request later."""
    document = path.read_bytes()
    json.loads(document)
    return document


async def get_openapi_document(request: web.Request) -> web.Response:
    return web.Response(body=request.app[OPENAPI_DOCUMENT], content_type="application/json")
