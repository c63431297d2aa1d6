"""Serving the webhook in production: waitress, an access log, a graceful stop, and worker processes.

TLS is not terminated here: run behind a reverse proxy (nginx, Caddy) that
holds the certificate and forwards to this server on localhost (see README).

`serve_workers` runs N waitress processes on one port, so a turn's Python work (understanding,
dialogue: bound by the GIL in one process) uses every core. The parent holds the port, forks
the workers (each opens its own app, listening socket and database connections), starts a new
worker when one dies, and on SIGTERM/SIGINT passes the signal on and waits for them.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask

from ..errors import VoiceskillError

access = logging.getLogger("voiceskill.access")
log = logging.getLogger("voiceskill.webhook")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class AccessLog:
    """WSGI middleware: one line per request, with status and duration."""

    def __init__(self, app: WSGIApp, worker: int | None = None) -> None:
        self.app = app
        self.worker = worker
        """With --workers: this process' number, sent as `X-Voiceskill-Worker` (which worker answered)."""

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()
        status: list[str] = ["-"]

        def recording_start(code: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status[0] = code.split(" ", 1)[0]
            if self.worker is not None:
                headers = [*headers, ("X-Voiceskill-Worker", str(self.worker))]
            return start_response(code, headers, exc_info) if exc_info else start_response(code, headers)

        try:
            return self.app(environ, recording_start)
        finally:
            client = environ.get("HTTP_X_FORWARDED_FOR") or environ.get("REMOTE_ADDR", "-")
            access.info('%s "%s %s" %s %.1fms%s', client, environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"),
                        status[0], (time.perf_counter() - started) * 1000,
                        f" worker {self.worker}" if self.worker is not None else "")


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


def _waitress(app: Flask, threads: int, limits: ServeLimits, worker: int | None = None, **where: Any) -> Any:
    """A waitress server for ``app`` at ``where`` (host and port, or sockets), not yet running."""
    from waitress import create_server

    return create_server(AccessLog(app.wsgi_app, worker), threads=threads,
                         ident="voiceskill", trusted_proxy="127.0.0.1",
                         trusted_proxy_headers={"x-forwarded-for", "x-forwarded-proto"},
                         clear_untrusted_proxy_headers=True, asyncore_use_poll=True,
                         connection_limit=limits.connection_limit, channel_timeout=limits.channel_timeout,
                         cleanup_interval=limits.cleanup_interval,
                         max_request_header_size=limits.max_header_bytes,
                         max_request_body_size=limits.max_body_bytes, **where)


def serve(app: Flask, host: str = "127.0.0.1", port: int = 8080, threads: int = 8,
          ready: Callable[[str], None] | None = None, limits: ServeLimits | None = None) -> None:
    """Serve ``app`` with waitress in this process until SIGTERM or SIGINT."""
    limits = limits or ServeLimits()
    server = _waitress(app, threads, limits, host=host, port=port)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _stop)
    address = f"http://{server.effective_host}:{server.effective_port}"
    log.info("voiceskill webhook serving on %s with %d threads, at most %d connections, idle ones closed "
             "after %.0f s", address, threads, limits.connection_limit, limits.channel_timeout)
    if ready:
        ready(address)
    server.run()
    log.info("voiceskill webhook stopped")


QUICK_EXIT_S = 5.0
"""A worker that ends this soon after it started failed to start (a bad database, a port)."""
MAX_QUICK_EXITS = 5
"""Failed starts in a row after which the whole server stops instead of trying again."""


BALANCED = hasattr(socket, "SO_REUSEPORT")
"""Linux: each worker listens on its own socket on the shared port (SO_REUSEPORT) and the kernel
spreads new connections evenly over them. With one socket accepted from by all, one worker took
most of the keep-alive connections of a burst and kept them (55 of 64 in the benchmark), so the
other core idled; elsewhere the workers share one socket."""


def _socket(host: str, port: int, listen: bool, backlog: int = 1024) -> socket.socket:
    """A TCP socket bound to ``host``:``port`` (with SO_REUSEPORT where BALANCED), listening if ``listen``."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                         flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if BALANCED:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise VoiceskillError(f"cannot listen on {host} port {port} ({exc.strerror}): pass another --host "
                              "or --port, or stop what listens there") from None
    if listen:
        sock.listen(backlog)
    return sock


def _die_with_parent() -> None:
    """Linux: have the kernel send this worker SIGTERM when the parent dies (even by SIGKILL)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class _Workers:
    """The parent: keeps ``count`` worker processes running until it is told to stop."""

    def __init__(self, make_app: Callable[[], Flask], sock: socket.socket, threads: int, count: int,
                 limits: ServeLimits) -> None:
        self.make_app, self.sock, self.threads, self.count, self.limits = make_app, sock, threads, count, limits
        self.pid = os.getpid()
        self.children: dict[int, tuple[int, float]] = {}
        """pid -> (worker number, when it started)."""
        self.stopping = False

    def _signal(self, signum: int, frame: Any) -> None:
        if os.getpid() != self.pid:   # a worker just forked, before it set its own handlers
            raise SystemExit(0)
        if not self.stopping:
            log.info("received signal %d, stopping %d workers", signum, len(self.children))
        self.stopping = True
        for pid in list(self.children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    def _spawn(self, number: int) -> None:
        """Fork worker ``number`` with SIGTERM/SIGINT blocked, so each process handles them with its own handler."""
        stops = {signal.SIGTERM, signal.SIGINT}
        signal.pthread_sigmask(signal.SIG_BLOCK, stops)
        try:
            pid = os.fork()
            if pid == 0:
                self._work(number)
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, stops)
        self.children[pid] = (number, time.monotonic())
        if self.stopping:
            os.kill(pid, signal.SIGTERM)

    def _work(self, number: int) -> None:
        """In the worker: its own app and database connections, waitress on the shared socket; never returns."""
        code = 1
        try:
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, _stop)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
            _die_with_parent()
            if os.getppid() != self.pid:
                raise SystemExit(0)
            host, port = self.sock.getsockname()[:2]
            sock = _socket(host, port, listen=True) if BALANCED else self.sock
            server = _waitress(self.make_app(), self.threads, self.limits, worker=number, sockets=[sock])
            log.info("worker %d (pid %d) serving", number, os.getpid())
            server.run()
            code = 0
        except SystemExit as exc:   # SIGTERM/SIGINT, also while the worker was still starting
            code = exc.code if isinstance(exc.code, int) else 0
        except VoiceskillError as exc:
            log.error("worker %d cannot start: %s", number, exc)
            code = 2
        except BaseException:   # reported; the parent starts another worker
            log.exception("worker %d failed", number)
        finally:
            if code == 0:
                log.info("worker %d (pid %d) stopped", number, os.getpid())
            logging.shutdown()
            os._exit(code)

    def run(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._signal)
        for number in range(1, self.count + 1):
            self._spawn(number)
        quick_exits = 0
        while self.children:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            number, started = self.children.pop(pid, (0, 0.0))
            if self.stopping or not number:
                continue
            code = os.waitstatus_to_exitcode(status)
            quick_exits = quick_exits + 1 if time.monotonic() - started < QUICK_EXIT_S else 0
            if quick_exits >= MAX_QUICK_EXITS:
                self._signal(signal.SIGTERM, None)
                self._reap()
                raise VoiceskillError(f"the webhook workers keep ending as they start (worker {number}: exit "
                                      f"{code}); see the log above")
            log.warning("worker %d (pid %d) ended with exit %d; starting a new one", number, pid, code)
            time.sleep(min(quick_exits, 3) * 0.5)
            if not self.stopping:
                self._spawn(number)
        self.sock.close()

    def _reap(self) -> None:
        while self.children:
            try:
                pid, _ = os.wait()
            except ChildProcessError:
                return
            self.children.pop(pid, None)


def serve_workers(make_app: Callable[[], Flask], host: str = "127.0.0.1", port: int = 8080, threads: int = 8,
                  workers: int = 2, ready: Callable[[str], None] | None = None,
                  limits: ServeLimits | None = None) -> None:
    """Serve with ``workers`` processes, each running ``make_app()`` under waitress, until SIGTERM or SIGINT.

    ``make_app`` is called in each worker after the fork, never in this process: no database connection
    is shared, and no thread's lock is copied held (the app compiles its templates in a background
    thread; a worker forked beside it found a template's lock taken for ever and hung on it).
    """
    limits = limits or ServeLimits()
    sock = _socket(host, port, listen=not BALANCED)   # where BALANCED, it only holds the port for the workers
    bound_host, bound_port = sock.getsockname()[:2]
    address = f"http://{bound_host}:{bound_port}"
    log.info("voiceskill webhook serving on %s with %d workers of %d threads, at most %d connections per "
             "worker, idle ones closed after %.0f s", address, workers, threads, limits.connection_limit,
             limits.channel_timeout)
    if ready:
        ready(address)
    _Workers(make_app, sock, threads, workers, limits).run()
    log.info("voiceskill webhook stopped")
