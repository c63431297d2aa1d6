"""Serving the webhook in production: waitress, an access log, and a graceful stop.

TLS is not terminated here: run behind a reverse proxy (nginx, Caddy) that
holds the certificate and forwards to this server on localhost (see README).
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask

access = logging.getLogger("voiceskill.access")
log = logging.getLogger("voiceskill.webhook")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class AccessLog:
    """WSGI middleware: one line per request, with status and duration."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()
        status: list[str] = ["-"]

        def recording_start(code: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status[0] = code.split(" ", 1)[0]
            return start_response(code, headers, exc_info) if exc_info else start_response(code, headers)

        try:
            return self.app(environ, recording_start)
        finally:
            client = environ.get("HTTP_X_FORWARDED_FOR") or environ.get("REMOTE_ADDR", "-")
            access.info('%s "%s %s" %s %.1fms', client, environ.get("REQUEST_METHOD"),
                        environ.get("PATH_INFO"), status[0], (time.perf_counter() - started) * 1000)


@dataclass(frozen=True)
class ServeLimits:
    """How many connections waitress holds and how long an idle or half-sent one may stay.

    Why: waitress' defaults (100 connections, 120 s idle) let about a hundred idle clients
    lock everyone else, `/healthz` included, out for two minutes.
    """

    connection_limit: int = 500
    """Open connections at most; env VOICESKILL_CONNECTION_LIMIT."""
    channel_timeout: float = 15.0
    """Seconds a connection may stay silent (idle, or a request half sent); env VOICESKILL_CHANNEL_TIMEOUT."""
    cleanup_interval: float = 2.0
    """Seconds between sweeps that close timed-out connections."""
    max_header_bytes: int = 16 * 1024
    max_body_bytes: int = 1024 * 1024
    """Refused by waitress before Flask reads it (the app itself allows 64 KiB)."""

    @classmethod
    def from_env(cls, **overrides: Any) -> "ServeLimits":
        """Defaults, then VOICESKILL_CONNECTION_LIMIT / VOICESKILL_CHANNEL_TIMEOUT, then ``overrides``."""
        values: dict[str, Any] = {}
        if os.environ.get("VOICESKILL_CONNECTION_LIMIT"):
            values["connection_limit"] = int(os.environ["VOICESKILL_CONNECTION_LIMIT"])
        if os.environ.get("VOICESKILL_CHANNEL_TIMEOUT"):
            values["channel_timeout"] = float(os.environ["VOICESKILL_CHANNEL_TIMEOUT"])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def _stop(signum: int, frame: Any) -> None:
    """Leave waitress' loop: it then lets running requests finish (up to 5 s) and stops."""
    log.info("received signal %d, finishing running requests and stopping", signum)
    raise SystemExit(0)


def serve(app: Flask, host: str = "127.0.0.1", port: int = 8080, threads: int = 8,
          ready: Callable[[str], None] | None = None, limits: ServeLimits | None = None) -> None:
    """Serve ``app`` with waitress until SIGTERM or SIGINT."""
    from waitress import create_server

    limits = limits or ServeLimits()
    server = create_server(AccessLog(app.wsgi_app), host=host, port=port, threads=threads,
                           ident="voiceskill", trusted_proxy="127.0.0.1",
                           trusted_proxy_headers={"x-forwarded-for", "x-forwarded-proto"},
                           clear_untrusted_proxy_headers=True, asyncore_use_poll=True,
                           connection_limit=limits.connection_limit, channel_timeout=limits.channel_timeout,
                           cleanup_interval=limits.cleanup_interval,
                           max_request_header_size=limits.max_header_bytes,
                           max_request_body_size=limits.max_body_bytes)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _stop)
    address = f"http://{server.effective_host}:{server.effective_port}"
    log.info("voiceskill webhook serving on %s with %d threads, at most %d connections, idle ones closed "
             "after %.0f s", address, threads, limits.connection_limit, limits.channel_timeout)
    if ready:
        ready(address)
    server.run()
    log.info("voiceskill webhook stopped")
