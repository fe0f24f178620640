"""service/openapi.json describes the whole API, and the live service keeps to it.

schemathesis generates requests from the document (valid ones and invalid ones) and sends
them to the service on a real socket and a real database; every answer must be one the
document allows (status, content type, headers, body schema) and none may be a 5xx.
"""

from __future__ import annotations

import asyncio
import json
import threading

import asyncpg
import jsonschema_rs
import pytest
import schemathesis
from aiohttp import web
from schemathesis.specs.openapi.checks import positive_data_acceptance

from service.app import create_app
from service.config import Settings
from service.openapi import OPENAPI_PATH

from .conftest import EMPTY_EVERY_TABLE, create_key, TEST_SERVER_SETTINGS, TEST_SUPPRESSION_KEY

OPENAPI_DOCUMENT = json.loads(OPENAPI_PATH.read_text())
# Bounded and derandomized: the same few hundred requests on every run, in seconds.
FUZZING = schemathesis.Config.from_dict(
    {"generation": {"max-examples": 60, "deterministic": True, "database": "none"}}
)
SCHEMA = schemathesis.openapi.from_dict(OPENAPI_DOCUMENT, config=FUZZING)


@SCHEMA.hook
def filter_body(context, body) -> bool:
    """JSON Schema counts 353.0 as the integer 353, so schemathesis sends it as a valid phone number;
    the service takes only JSON integers there (see PhoneNumber in the document), so leave those out."""
    phone_number = body.get("phoneNumber") if isinstance(body, dict) else None
    return not (isinstance(phone_number, float) and phone_number.is_integer())


# GET /customers needs an email or a phoneNumber, remove-identifier exactly one of them (an empty
# value counting as absent), a blocked value must be an email or a phone as its kind says: rules
# between two values that the document states in words only.
CHECKS_THE_DOCUMENT_CANNOT_EXPRESS = {
    "GET /customers": [positive_data_acceptance],
    "POST /customers/{contactId}/remove-identifier": [positive_data_acceptance],
    "GET /blocklist/{kind}/{value}": [positive_data_acceptance],
    "PUT /blocklist/{kind}/{value}": [positive_data_acceptance],
    "DELETE /blocklist/{kind}/{value}": [positive_data_acceptance],
}

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
# aiohttp answers HEAD wherever it answers GET; the document leaves that implicit.
IMPLICIT_METHODS = {"HEAD"}
# The support console (service/console.py) is a page for people, not part of the API it calls;
# tests/test_console.py covers it.
CONSOLE_ROUTES = {("/console", "GET"), ("/console/{asset}", "GET")}


class LiveService:
    """The app on a real port, with its own pool, in a thread with its own event loop: schemathesis
    sends blocking requests, which would stall a server running on the test's own loop."""

    def __init__(self, database_url: str):
        self.database_url = database_url
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="live-service", daemon=True)

    def start(self) -> str:
        self.thread.start()
        return self._run(self._start())

    def stop(self) -> None:
        self._run(self._stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()

    def _run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=30)

    async def _start(self) -> str:
        self.pool = await asyncpg.create_pool(self.database_url, min_size=1, max_size=10,
                                              server_settings=TEST_SERVER_SETTINGS)
        await self.pool.execute(EMPTY_EVERY_TABLE)
        self.admin_key = await create_key(self.pool, "fuzzer", "admin")
        app = create_app(Settings.from_environ({"DATABASE_URL": self.database_url,
                                                "SUPPRESSION_KEY": TEST_SUPPRESSION_KEY}), pool=self.pool)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        host, port = self.runner.addresses[0][:2]
        return f"http://{host}:{port}"

    async def _stop(self) -> None:
        await self.runner.cleanup()
        await self.pool.close()


@pytest.fixture(scope="module")
def live_service(database_url):
    service = LiveService(database_url)
    service.url = service.start()
    yield service
    service.stop()


@SCHEMA.parametrize()
def test_service_answers_as_the_openapi_document_says(case, live_service):
    """With an admin key, so that schemathesis reaches every operation (and its 401s too, when it
    sends a broken Authorization header of its own)."""
    case.call_and_validate(base_url=live_service.url, timeout=10,
                           headers={"Authorization": f"Bearer {live_service.admin_key}"},
                           excluded_checks=CHECKS_THE_DOCUMENT_CANNOT_EXPRESS.get(case.operation.label, []))


def test_openapi_document_is_valid_openapi_3_1():
    assert OPENAPI_DOCUMENT["openapi"].startswith("3.1.")
    SCHEMA.validate()


async def test_openapi_document_covers_exactly_the_routes_of_the_app(client):
    routes = {
        (route.resource.canonical, route.method)
        for route in client.app.router.routes()
        if route.method not in IMPLICIT_METHODS
    } - CONSOLE_ROUTES
    documented = {
        (path, method.upper())
        for path, operations in OPENAPI_DOCUMENT["paths"].items()
        for method in operations
    }

    assert documented == routes


async def test_get_openapi_json_serves_the_document(client):
    response = await client.get("/openapi.json")

    assert response.status == 200
    assert response.content_type == "application/json"
    assert await response.read() == OPENAPI_PATH.read_bytes()


def _examples_with_their_schemas():
    """Every example in the document, with the schema of the body it illustrates."""
    paths = OPENAPI_DOCUMENT["paths"]
    responses = OPENAPI_DOCUMENT["components"]["responses"]
    bodies = []
    for path, operations in paths.items():
        for method, operation in operations.items():
            request_body = operation.get("requestBody", {}).get("content", {})
            bodies += [(f"{method.upper()} {path} request", media) for media in request_body.values()]
            for status, response in operation["responses"].items():
                bodies += [(f"{method.upper()} {path} {status}", media)
                           for media in response.get("content", {}).values()]
    for name, response in responses.items():
        bodies += [(name, media) for media in response["content"].values()]
    return [
        pytest.param(media["schema"], example["value"], id=f"{where} {example_name}")
        for where, media in bodies
        for example_name, example in media.get("examples", {}).items()
    ]


@pytest.mark.parametrize(("schema", "example"), _examples_with_their_schemas())
def test_example_matches_its_schema(schema, example):
    # The whole document is the root, so "#/components/..." references resolve.
    validator = jsonschema_rs.validator_for({**OPENAPI_DOCUMENT, **schema, "$schema": JSON_SCHEMA_DIALECT})

    validator.validate(example)
