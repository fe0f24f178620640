"""One worker of `identity-service serve --workers N`, started by service/serve.py as
`python -m service.worker`.

It serves the app on HOST:PORT with SO_REUSEPORT, on the database its parent names in
DATABASE_URL, says on standard output when it listens, and stops gracefully on SIGTERM,
or when its parent is gone. The slow imports wait inside `main()` so that SIGINT is
ignored from the first moment.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aiohttp import web

# Named, not __name__: this module runs as __main__.
log = logging.getLogger("service.worker")


def main() -> int:
    # Ctrl-C in a terminal signals the whole process group, this worker too. The parent
    # turns it into one SIGTERM per worker; a second signal during aiohttp's graceful
    # shutdown would cut it short.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    from .app import create_app
    from .config import Settings
    from .event_loop import use_uvloop
    from .http_server import run_app
    from .keys import DATABASE_ORIGIN
    from .logs import configure_logging

    settings = Settings.from_environ()
    configure_logging(settings.log_level)
    use_uvloop()
    app = create_app(settings)
    app[DATABASE_ORIGIN] = "given by the parent process"
    app.on_startup.append(stop_on_sigterm_or_orphaned)
    try:
        run_app(
            app,
            settings,
            reuse_port=True,
            handle_signals=False,  # it would catch SIGINT again; SIGTERM is handled on startup
            announce=lambda: tell_the_parent_it_listens(settings),
        )
    except Exception:
        log.exception("worker %d failed", os.getpid())
        return 1
    log.info("worker %d stopped", os.getpid())
    return 0


def tell_the_parent_it_listens(settings) -> None:
    """Called once the socket is bound: the line on standard output is what the parent waits
    for before it says the service is serving."""
    log.info("worker %d serving on http://%s:%s", os.getpid(), settings.host, settings.port)
    print("listening", flush=True)


async def stop_on_sigterm_or_orphaned(app: web.Application) -> None:
    """on_startup: stop gracefully on SIGTERM, or when the parent's end of stdin closes."""
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, _once(_raise_graceful_exit))
    lifeline = sys.stdin.fileno()

    def on_lifeline_readable() -> None:
        if os.read(lifeline, 1) == b"":
            loop.remove_reader(lifeline)
            log.warning("worker %d: the parent process is gone; stopping", os.getpid())
            os.kill(os.getpid(), signal.SIGTERM)

    loop.add_reader(lifeline, on_lifeline_readable)


def _raise_graceful_exit() -> None:
    from aiohttp import web

    # GracefulExit is a SystemExit: raised in a callback, it leaves the event loop, and
    # run_app then runs its graceful shutdown.
    raise web.GracefulExit()


def _once(callback: Callable[[], None]) -> Callable[[], None]:
    """A callback that runs the first time only: a repeated SIGTERM while stopping changes nothing."""
    called = False

    def first_time_only() -> None:
        nonlocal called
        if not called:
            called = True
            callback()

    return first_time_only


if __name__ == "__main__":
    sys.exit(main())
