"""API keys on requests, checked in one place: a middleware that looks up the scope the
matched handler needs (REQUIRED_SCOPES, built from the route table and the settings) and
lets the request through only with a live key that has it.

A secret is `idk_` and 43 random URL-safe characters; only its SHA-256 is stored. The key is
found by that hash (an index probe) and the stored hash compared again in constant time.
Secrets never reach a log: the access log records paths, not headers.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from aiohttp import web

from .errors import Problem
from .keys import REQUIRED_SCOPES, STATEMENTS
from .request_database import request_connection

SECRET_PREFIX = "idk_"
SCOPES = ("read", "admin")
REALM = 'Bearer realm="identity-service"'


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def secret_hash(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).digest()


def grants(key_scope: str, required_scope: str) -> bool:
    """admin includes read."""
    return key_scope == "admin" or key_scope == required_scope


@web.middleware
async def require_api_key(request: web.Request, handler) -> web.StreamResponse:
    required_scope = request.app[REQUIRED_SCOPES].get(request.match_info.handler)
    if required_scope is None:
        return await handler(request)
    key_scope = await _scope_of_presented_key(request)
    if not grants(key_scope, required_scope):
        raise Problem("insufficient-scope", f"This needs a key with scope {required_scope}; this key has {key_scope}.",
                      headers={"WWW-Authenticate": f'{REALM}, error="insufficient_scope", scope="{required_scope}"'})
    return await handler(request)


async def _scope_of_presented_key(request: web.Request) -> str:
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        raise Problem("missing-api-key", "Send an API key: Authorization: Bearer <secret>.",
                      headers={"WWW-Authenticate": REALM})
    presented_hash = secret_hash(secret)
    async with request_connection(request) as connection:
        key = await connection.fetchrow(request.app[STATEMENTS].find_api_key.text, presented_hash)
    if key is None or not hmac.compare_digest(key["secret_hash"], presented_hash):
        raise Problem("unknown-api-key", "No API key has this secret.",
                      headers={"WWW-Authenticate": f'{REALM}, error="invalid_token"'})
    if key["revoked"]:
        raise Problem("revoked-api-key", f"The API key {key['name']} was revoked.",
                      headers={"WWW-Authenticate": f'{REALM}, error="invalid_token"'})
    return key["scope"]
