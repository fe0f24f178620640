"""GET /openapi.json: the OpenAPI 3.1 description of the whole API, kept in service/openapi.json."""

from __future__ import annotations

import json
from pathlib import Path

from aiohttp import web

OPENAPI_PATH = Path(__file__).with_name("openapi.json")


def _load_document(path: Path) -> bytes:
    """Read once, when the app is built; a broken file stops start-up instead of failing a request later."""
    document = path.read_bytes()
    json.loads(document)
    return document


_DOCUMENT = _load_document(OPENAPI_PATH)


async def get_openapi_document(request: web.Request) -> web.Response:
    return web.Response(body=_DOCUMENT, content_type="application/json")
