"""Logging set-up for every command: one JSON object per line, emails and phone numbers masked.

The access log (service.access) adds request_id, method, path, status and duration_ms.
Masking applies to every message, traceback and path, so an identifier that reaches a
log by accident (an error message quoting a value, a path a client made up) is still
not written in the clear.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timezone

ACCESS_FIELDS = ("request_id", "method", "path", "status", "duration_ms")

_EMAIL = re.compile(r"([^\s@\"'<>(),;:/=\[\]]+)@([^\s@\"'<>(),;:/\[\]]+)")
_PHONE_LIKE = re.compile(r"\+?\d[\d ().-]{4,}\d")
_PHONE_DIGITS = 6  # fewer digits than this is a version or a count, not a phone number
_IPV4 = re.compile(r"\d{1,3}(\.\d{1,3}){3}")


def mask_identifiers(text: str) -> str:
    """`lorraine@hillvalley.edu` → `l***@h***`; `+1 555 123 4567` → `***67`."""
    text = _EMAIL.sub(lambda match: f"{match[1][0]}***@{match[2][0]}***", text)
    return _PHONE_LIKE.sub(_mask_phone, text)


def _mask_phone(match: re.Match) -> str:
    digits = sum(character.isdigit() for character in match[0])
    if digits < _PHONE_DIGITS or _IPV4.fullmatch(match[0].strip()):
        return match[0]
    return "***" + match[0][-2:]


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": mask_identifiers(record.getMessage()),
        }
        for field in ACCESS_FIELDS:
            if hasattr(record, field):
                entry[field] = getattr(record, field)
        if "path" in entry:
            entry["path"] = mask_identifiers(entry["path"])
        if record.exc_info:
            entry["exception"] = mask_identifiers(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    logging.basicConfig(level=level, handlers=[handler], force=True)
    logging.getLogger("yoyo").setLevel(logging.WARNING)
    # aiohttp's own access log is replaced by service.access, which knows the request id.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
