"""The HTTP ceiling: a minimal aiohttp app with no database, loaded by the same wrk mix.

It does what the service's handler does short of the database: reads the JSON body and
answers a JSON object of the same shape. Run as `python -m bench.http_ceiling PORT`.
"""

from __future__ import annotations

import json
import sys

from aiohttp import web


async def identify_without_database(request: web.Request) -> web.Response:
    body = json.loads(await request.read())
    return web.json_response(
        {"contact": {"primaryContactId": 1, "emails": [body.get("email")],
                     "phoneNumbers": [body.get("phoneNumber")], "secondaryContactIds": []}}
    )


async def ready(request: web.Request) -> web.Response:
    return web.json_response({"status": "ready"})


def main() -> None:
    app = web.Application()
    app.add_routes([web.post("/identify", identify_without_database), web.get("/readyz", ready)])
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)


if __name__ == "__main__":
    main()
