"""Logging set-up for every command: one JSON object per line, emails and phone numbers masked.

The access log (service.access) adds request_id, method, path, status and duration_ms.
Masking applies to every message, traceback, path and request id, so an identifier that
reaches a log by accident (an error message quoting a value, a path a client made up) is
still not written in the clear.

Masking runs on text a client chose, on the event loop, so it must take time linear in
the text's length whatever the text: each pattern below matches a run of characters from
its first character only, and never backtracks into it (see the test feeding it 1 MB of
each character class). A path is also cut to a few hundred characters before it is masked.
"""

from __future__ import annotations

import logging
import re
import time

import orjson

# Fields of a line about a request that never became one (service/http_server.py).
REJECTED_REQUEST_FIELDS = ("status", "reason")
# Longer paths are cut, saying so: a log line is for people, and nobody reads 8 KB of a made-up URL.
LOGGED_PATH_CHARS = 256

_LOCAL_PART = r"[^\s@\"'<>(),;:/=\[\]]"
_DOMAIN = r"[^\s@\"'<>(),;:/\[\]]"
# The lookbehind lets a local part start only where its run of characters starts, and the
# possessive `*+` never gives characters back: a run without an `@` is read once, not once
# per starting position (the old pattern took 1.8 s on 16 KB).
_EMAIL = re.compile(rf"(?<!{_LOCAL_PART})({_LOCAL_PART}){_LOCAL_PART}*+@({_DOMAIN}){_DOMAIN}*+")
_MASKED_EMAIL = r"\1***@\2***"
# Linear too: from each digit the run is read once to its end, then back to its last
# digit; a start fails only when no digit follows five places on, so at most five
# starts per run fail.
_PHONE_LIKE = re.compile(r"\+?\d[\d ().-]{4,}\d")
_PHONE_DIGITS = 6  # fewer digits than this is a version or a count, not a phone number
_IPV4 = re.compile(r"\d{1,3}(\.\d{1,3}){3}")
# The service's own request ids (service/observability.py) are random hex: often six digits
# in a row, never personal data.
_MADE_UP_REQUEST_ID = re.compile(r"[0-9a-f]{32}")


def mask_identifiers(text: str) -> str:
    """`lorraine@hillvalley.edu` → `l***@h***`; `+1 555 123 4567` → `***67`."""
    if "@" in text:
        text = _EMAIL.sub(_MASKED_EMAIL, text)
    return _PHONE_LIKE.sub(_mask_phone, text)


def masked_request_id(request_id: str) -> str:
    """A request id as the logs keep it: a client's own id is masked like any other text; the
    service's made-up ones are random hex, left whole."""
    return request_id if _MADE_UP_REQUEST_ID.fullmatch(request_id) else mask_identifiers(request_id)


def is_a_phone_number(text: str) -> bool:
    """Whether all of `text` reads as a phone number, by the rule that masks phone numbers in logs."""
    match = _PHONE_LIKE.fullmatch(text)
    return match is not None and _mask_phone(match) != text


def _mask_phone(match: re.Match) -> str:
    found = match[0]
    if sum(character.isdigit() for character in found) < _PHONE_DIGITS or _IPV4.fullmatch(found.strip()):
        return found
    return "***" + found[-2:]


def cut(text: str, limit: int = LOGGED_PATH_CHARS) -> str:
    """`text`, or its first `limit` characters and how long it was."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… (cut, {len(text)} characters)"


class JsonFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__()
        # The time to the second is formatted once per second, not once per line.
        self._second = -1
        self._second_text = ""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": self._time(record.created), "level": record.levelname, "logger": record.name}
        path = getattr(record, "path", None)
        if path is None:
            entry["message"] = mask_identifiers(record.getMessage())
            for field in REJECTED_REQUEST_FIELDS:
                if hasattr(record, field):
                    entry[field] = getattr(record, field)
        else:
            # Each field is masked on its own, so that a phone number ending a path does
            # not swallow the status after it into its mask.
            path = mask_identifiers(cut(path))
            entry["message"] = f"{record.method} {path} {record.status}"
            entry["request_id"] = masked_request_id(record.request_id)
            entry["method"] = record.method
            entry["path"] = path
            entry["status"] = record.status
            entry["duration_ms"] = record.duration_ms
        if record.exc_info:
            entry["exception"] = mask_identifiers(self.formatException(record.exc_info))
        return orjson.dumps(entry).decode()

    def _time(self, created: float) -> str:
        second = int(created)
        if second != self._second:
            self._second = second
            self._second_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._second_text}.{int((created - second) * 1000):03d}+00:00"


def configure_logging(level: str) -> None:
    # The JSON line has no use for the caller's file and line, nor the thread's or process's
    # name: the logging documentation's "Optimization" switches skip gathering them for
    # every record, a third of the cost of an access-log line.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    logging.basicConfig(level=level, handlers=[handler], force=True)
    logging.getLogger("yoyo").setLevel(logging.WARNING)
    # aiohttp's own access log is replaced by service.access, which knows the request id.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
