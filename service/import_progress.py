"""Progress of `run.py import` on standard error: a live bar on a terminal, plain lines otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from tqdm import tqdm

PLAIN_LINE_EVERY_SECONDS = 5.0


class ImportProgress:
    """Orders read so far (with a rate and, when the total is known, an estimate), then
    one line per planning step. `total` is the file's line count, or None for a pipe."""

    def __init__(self, total: int | None, stream: TextIO | None = None):
        self._stream = stream or sys.stderr
        self._read = 0
        self._started = time.monotonic()
        self._last_line = self._started
        self._bar = (
            tqdm(total=total, unit=" orders", unit_scale=True, file=self._stream, dynamic_ncols=True)
            if self._stream.isatty() else None
        )

    def advance(self, orders: int) -> None:
        self._read += orders
        if self._bar is not None:
            self._bar.update(orders)
            return
        now = time.monotonic()
        if now - self._last_line >= PLAIN_LINE_EVERY_SECONDS:
            self._last_line = now
            self._say(f"read {self._read:,} orders ({self._read / (now - self._started):,.0f} orders/s)")

    def step(self, message: str) -> None:
        """A planning step begins: the reading part is over."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        self._say(message)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

    def _say(self, message: str) -> None:
        print(message, file=self._stream, flush=True)
