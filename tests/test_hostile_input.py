"""Hostile requests: whatever a client sends, the answer is a clear 4xx problem+json, quickly.

tests/test_bad_input.py checks each validation rule with its exact problem; this is the
sweep of what a careless or malicious client may throw at the service. Every rejected
request writes nothing and leaves the service answering normally; every accepted one that
looks like an attack (SQL, odd Unicode) is stored as data, never run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import aiohttp
import pytest
from yarl import URL

from .assertions import assert_problem, contact_count

JSON = "application/json"
# Well above a normal answer (milliseconds), well below "hung": a request that takes this long fails.
CLIENT_TIMEOUT = aiohttp.ClientTimeout(total=10)
DEEP_ARRAYS_UNDER_64_KIB = b"[" * 32_000 + b"]" * 32_000
DEEP_OBJECTS_UNDER_64_KIB = b'{"a":' * 10_000 + b"1" + b"}" * 10_000
TEN_KB = 10 * 1024
TWO_MB = 2 * 1024 * 1024


@dataclass(frozen=True)
class HostileRequest:
    name: str
    status: int
    kind: str
    body: bytes = b""
    method: str = "POST"
    path: str = "/identify"
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": JSON})
    # Sent with Transfer-Encoding: chunked, so the server cannot know the size up front.
    chunked: bool = False


def body_of(document) -> bytes:
    return json.dumps(document).encode()


def rejected(name, body, kind, status=400, **request) -> HostileRequest:
    return HostileRequest(name=name, status=status, kind=kind, body=body, **request)


REJECTED = [
    # Not JSON at all, or not quite.
    rejected("single-quoted javascript object", b"{email: 'a@b.c'}", "invalid-json"),
    rejected("trailing comma", b'{"email": "a@b.c",}', "invalid-json"),
    rejected("truncated after a value", b'{"email": "a@b.c"', "invalid-json"),
    rejected("truncated inside a string", b'{"email": "a@', "invalid-json"),
    rejected("two documents back to back", b'{"email": "a@b.c"}{"email": "d@e.f"}', "invalid-json"),
    rejected("javascript comment", b'// note\n{"email": "a@b.c"}', "invalid-json"),
    rejected("empty body", b"", "invalid-json"),
    rejected("whitespace-only body", b" \r\n\t ", "invalid-json"),
    # JSON, but not an object.
    rejected("array body", b'[{"email": "a@b.c"}]', "invalid-body"),
    rejected("string body", b'"a@b.c"', "invalid-body"),
    rejected("number body", b"5551234567", "invalid-body"),
    rejected("null body", b"null", "invalid-body"),
    rejected("boolean body", b"true", "invalid-body"),
    # An object without an identifier.
    rejected("empty object", b"{}", "missing-identifier"),
    rejected("both fields null", b'{"email": null, "phoneNumber": null}', "missing-identifier"),
    rejected("both fields blank", b'{"email": " \\t\\n ", "phoneNumber": "\\r "}', "missing-identifier"),
    rejected("misspelled field names", b'{"mail": "a@b.c", "phone": "123456"}', "missing-identifier"),
    # Fields of the wrong type.
    rejected("email boolean", b'{"email": false}', "invalid-field"),
    rejected("email float", b'{"email": 1.5}', "invalid-field"),
    rejected("email array", b'{"email": ["a@b.c", "d@e.f"]}', "invalid-field"),
    rejected("email object", b'{"email": {"$ne": null}}', "invalid-field"),
    rejected("email huge integer", body_of({"email": 10**30}), "invalid-field"),
    rejected("email negative number", b'{"email": -1}', "invalid-field"),
    rejected("phone boolean", b'{"phoneNumber": false}', "invalid-field"),
    rejected("phone whole float", b'{"phoneNumber": 5551234567.0}', "invalid-field"),
    rejected("phone infinite float", b'{"phoneNumber": 1e400}', "invalid-field"),
    # NaN and Infinity are JavaScript, not JSON (RFC 8259 6), wherever they stand.
    rejected("phone NaN", b'{"phoneNumber": NaN}', "invalid-json"),
    rejected("NaN in an ignored field", b'{"email": "a@b.c", "x": NaN}', "invalid-json"),
    rejected("Infinity in an ignored field", b'{"email": "a@b.c", "x": -Infinity}', "invalid-json"),
    rejected("phone array", b'{"phoneNumber": [555, 1234]}', "invalid-field"),
    rejected("phone object", b'{"phoneNumber": {"$gt": ""}}', "invalid-field"),
    rejected("phone huge integer", body_of({"phoneNumber": 10**25}), "invalid-field"),
    rejected("phone negative number", b'{"phoneNumber": -5551234567}', "invalid-field"),
    # Python refuses to parse integers of more than 4300 digits: that is JSON it cannot read.
    rejected("phone integer of 5000 digits", b'{"phoneNumber": ' + b"9" * 5000 + b"}", "invalid-json"),
    # NUL and other control characters.
    rejected("NUL escaped in email", b'{"email": "a\\u0000@b.c"}', "invalid-field"),
    # The client's own key is never echoed back: here it could not even be encoded.
    rejected("NUL in a key holding a lone surrogate", b'{"email": "a@b.c", "\\ud800\\u0000": 1}', "invalid-field"),
    rejected("NUL under a key holding a lone surrogate", b'{"email": "a@b.c", "\\ud800": "\\u0000"}',
             "invalid-field"),
    # A body that says it is compressed and is not.
    rejected("gzip content encoding over garbage", b"\x1f\x8b garbage, not gzip", "unreadable-body",
             headers={"Content-Type": JSON, "Content-Encoding": "gzip"}),
    rejected("deflate content encoding over garbage", b"not deflate at all", "unreadable-body",
             headers={"Content-Type": JSON, "Content-Encoding": "deflate"}),
    rejected("NUL escaped in phone", b'{"phoneNumber": "555\\u00001234"}', "invalid-field"),
    rejected("NUL escaped in a key", b'{"email": "a@b.c", "x\\u0000": 1}', "invalid-field"),
    rejected("NUL raw in a string", b'{"email": "a\x00@b.c"}', "invalid-json"),
    rejected("bell in email", b'{"email": "a\\u0007@b.c"}', "invalid-field"),
    rejected("escape sequence in email", b'{"email": "a\\u001b[31m@b.c"}', "invalid-field"),
    rejected("DEL in email", b'{"email": "a\\u007f@b.c"}', "invalid-field"),
    rejected("C1 control in email", b'{"email": "a\\u0085@b.c"}', "invalid-field"),
    rejected("line separator in email", b'{"email": "a\\u2028@b.c"}', "invalid-field"),
    rejected("CRLF header injection in email", b'{"email": "a@b.c\\r\\nX-Admin: 1"}', "invalid-field"),
    # Not UTF-8, or not quite.
    rejected("invalid utf-8 byte", b'{"email": "\xff@b.c"}', "invalid-json"),
    rejected("overlong utf-8 slash", b'{"email": "a\xc0\xaf@b.c"}', "invalid-json"),
    rejected("utf-8 encoded surrogate", b'{"email": "\xed\xa0\x80@b.c"}', "invalid-json"),
    rejected("lone surrogate escape in email", b'{"email": "\\ud800@b.c"}', "invalid-field"),
    rejected("lone surrogate escape in phone", b'{"phoneNumber": "\\udfff"}', "invalid-field"),
    rejected("utf-8 byte order mark", b'\xef\xbb\xbf{"email": "a@b.c"}', "invalid-json"),
    rejected("utf-16 body", '{"email": "a@b.c"}'.encode("utf-16"), "invalid-json"),
    rejected("latin-1 body declared as such", '{"email": "é@b.c"}'.encode("latin-1"), "invalid-json",
             headers={"Content-Type": "application/json; charset=iso-8859-1"}),
    # Too big, too deep.
    rejected("email of 10 KB", body_of({"email": "a" * TEN_KB + "@b.c"}), "invalid-field"),
    rejected("phone of 10 KB", body_of({"phoneNumber": "5" * TEN_KB}), "invalid-field"),
    rejected("body of 2 MB", body_of({"email": "a@b.c", "padding": "x" * TWO_MB}), "payload-too-large", 413),
    rejected("body of 2 MB chunked", body_of({"email": "a@b.c", "padding": "x" * TWO_MB}), "payload-too-large",
             413, chunked=True),
    rejected("arrays nested 100k deep", b"[" * 100_000 + b"]" * 100_000, "payload-too-large", 413),
    rejected("arrays nested 32k deep under 64 KiB", DEEP_ARRAYS_UNDER_64_KIB, "invalid-json"),
    rejected("objects nested 10k deep under 64 KiB", DEEP_OBJECTS_UNDER_64_KIB, "invalid-json"),
    rejected("deep nesting beside a valid email",
             b'{"email": "a@b.c", "x": ' + b"[" * 30_000 + b"]" * 30_000 + b"}", "invalid-json"),
    # SQL that would do harm if it were ever spliced into a statement; rejected by the field rules.
    rejected("sql tautology in email", b'{"email": "\' OR \'1\'=\'1"}', "invalid-field"),
    rejected("sql statement after email", b'{"email": "a@b.c\'; DELETE FROM contact; --"}', "invalid-field"),
    rejected("sql statement in phone", b'{"phoneNumber": "1; DROP TABLE contact; --"}', "invalid-field"),
    # Not declared as JSON.
    rejected("no content type", b'{"email": "a@b.c"}', "unsupported-media-type", 415, headers={}),
    rejected("text/plain", b'{"email": "a@b.c"}', "unsupported-media-type", 415,
             headers={"Content-Type": "text/plain"}),
    rejected("form encoded", b"email=a%40b.c&phoneNumber=123456", "unsupported-media-type", 415,
             headers={"Content-Type": "application/x-www-form-urlencoded"}),
    rejected("multipart form", b'--x\r\nContent-Disposition: form-data; name="email"\r\n\r\na@b.c\r\n--x--\r\n',
             "unsupported-media-type", 415, headers={"Content-Type": "multipart/form-data; boundary=x"}),
    rejected("xml", b"<contact><email>a@b.c</email></contact>", "unsupported-media-type", 415,
             headers={"Content-Type": "application/xml"}),
    rejected("content type without a subtype", b'{"email": "a@b.c"}', "unsupported-media-type", 415,
             headers={"Content-Type": "json"}),
    # Other methods and paths.
    rejected("GET", b"", "method-not-allowed", 405, method="GET"),
    rejected("PUT", b'{"email": "a@b.c"}', "method-not-allowed", 405, method="PUT"),
    rejected("PATCH", b'{"email": "a@b.c"}', "method-not-allowed", 405, method="PATCH"),
    rejected("DELETE", b"", "method-not-allowed", 405, method="DELETE"),
    rejected("OPTIONS", b"", "method-not-allowed", 405, method="OPTIONS"),
    rejected("HEAD", b"", "method-not-allowed", 405, method="HEAD"),
    rejected("trailing slash", b'{"email": "a@b.c"}', "not-found", 404, path="/identify/"),
    rejected("upper-case path", b'{"email": "a@b.c"}', "not-found", 404, path="/IDENTIFY"),
    rejected("encoded NUL in path", b'{"email": "a@b.c"}', "not-found", 404, path="/identify%00"),
    rejected("path traversal", b'{"email": "a@b.c"}', "not-found", 404, path="/identify/..%2f..%2fetc%2fpasswd"),
]


async def send(client, request: HostileRequest) -> aiohttp.ClientResponse:
    async def chunks():
        for start in range(0, len(request.body), 64 * 1024):
            yield request.body[start:start + 64 * 1024]

    return await client.request(
        request.method,
        URL(request.path, encoded=True),
        data=chunks() if request.chunked else request.body,
        headers=request.headers,
        skip_auto_headers=["Content-Type"],
        timeout=CLIENT_TIMEOUT,
    )


async def assert_service_still_answers(identify):
    status, body = await identify({"email": "doc@hillvalley.edu", "phoneNumber": "555"})
    assert status == 200, body


@pytest.mark.parametrize("request_", REJECTED, ids=[request.name for request in REJECTED])
async def test_hostile_request_is_rejected_with_4xx_problem_writing_nothing(client, pool, identify, request_):
    response = await send(client, request_)

    if request_.method == "HEAD":
        # A HEAD answer has headers only.
        assert response.status == request_.status
        assert response.headers["Content-Type"] == "application/problem+json"
    else:
        problem = await response.json(content_type=None)
        assert_problem(response.status, response.headers, problem, status=request_.status, kind=request_.kind)
    assert await contact_count(pool) == 0
    await assert_service_still_answers(identify)


@dataclass(frozen=True)
class StoredAsData:
    name: str
    body: dict
    stored_email: str


ACCEPTED = [
    # Valid by the field rules, so they are data: stored exactly, never run.
    StoredAsData("sql comment-spaced drop table", {"email": "robert');drop/**/table/**/contact;--@students.edu"},
                 "robert');drop/**/table/**/contact;--@students.edu"),
    StoredAsData("sql sleep by concatenation", {"email": "x'||pg_sleep(10)||'@x.io"}, "x'||pg_sleep(10)||'@x.io"),
    StoredAsData("sql union select", {"email": "1'/**/union/**/select/**/null--@x.io"},
                 "1'/**/union/**/select/**/null--@x.io"),
    StoredAsData("sql dollar quoting", {"email": "$$;drop/**/table/**/contact;$$@x.io"},
                 "$$;drop/**/table/**/contact;$$@x.io"),
    StoredAsData("sql backslash quote", {"email": "\\'@x.io"}, "\\'@x.io"),
    StoredAsData("sql placeholder", {"email": "$1@x.io", "phoneNumber": None}, "$1@x.io"),
    StoredAsData("sql in an ignored field", {"email": "a@b.c", "email');drop table contact;--": "x"}, "a@b.c"),
    StoredAsData("ignored field of 10 KB", {"email": "a@b.c", "note": "x" * TEN_KB}, "a@b.c"),
    # Unicode emails: internationalized addresses are real.
    StoredAsData("unicode latin email", {"email": "ünïcödé@bücher.de"}, "ünïcödé@bücher.de"),
    StoredAsData("unicode chinese email", {"email": "用户@例子.广告"}, "用户@例子.广告"),
    StoredAsData("unicode cyrillic email", {"email": "почта@пример.рф"}, "почта@пример.рф"),
    StoredAsData("emoji email", {"email": "😀@example.com"}, "😀@example.com"),
    StoredAsData("unicode upper-case email is lower-cased", {"email": "ÜBER@BÜCHER.DE"}, "über@bücher.de"),
]


@pytest.mark.parametrize("request_", ACCEPTED, ids=[request.name for request in ACCEPTED])
async def test_hostile_looking_value_is_stored_verbatim_never_run(client, pool, identify, request_):
    response = await client.post("/identify", data=body_of(request_.body), headers={"Content-Type": JSON},
                                 timeout=CLIENT_TIMEOUT)

    assert response.status == 200, await response.text()
    assert (await response.json())["contact"]["emails"] == [request_.stored_email]
    assert await pool.fetchval("SELECT to_regclass('contact') IS NOT NULL")
    assert await pool.fetch("SELECT email FROM contact") == [(request_.stored_email,)]
    await assert_service_still_answers(identify)

