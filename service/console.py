"""GET /console: the support console, a page for people that works through the public API.

Its three files (service/console/) are read once when the app is built, like the OpenAPI
document, and served from memory: no directory is exposed, and a missing file stops
start-up instead of failing a request later. The page itself needs no key; every API call
it makes sends the key the person signed in with.

Every answer carries headers that keep the page to itself: a Content-Security-Policy that
allows only the console's own script and style sheet and requests to this service (no inline
script or style, no other origin, no framing), no MIME sniffing and no referrer.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from .errors import Problem
from .keys import CONSOLE_ASSETS

CONSOLE_DIR = Path(__file__).with_name("console")
PAGE = "index.html"
# Every file the console has, with its content type; nothing else is served.
ASSET_TYPES = {
    PAGE: "text/html",
    "console.js": "text/javascript",
    "console.css": "text/css",
}
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
])
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    # A new version of the service serves its own console at once.
    "Cache-Control": "no-cache",
}


def load_assets(folder: Path = CONSOLE_DIR) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in ASSET_TYPES}


def _asset_response(request: web.Request, name: str) -> web.Response:
    return web.Response(body=request.app[CONSOLE_ASSETS][name], content_type=ASSET_TYPES[name], charset="utf-8",
                        headers=SECURITY_HEADERS)


async def get_console(request: web.Request) -> web.Response:
    return _asset_response(request, PAGE)


async def get_console_asset(request: web.Request) -> web.Response:
    name = request.match_info["asset"]
    if name == PAGE or name not in ASSET_TYPES:
        raise Problem("not-found", "The console has no such file; open /console.")
    return _asset_response(request, name)
