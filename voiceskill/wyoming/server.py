"""`voiceskill wyoming`: one asyncio process, one `wyoming.server.AsyncServer` per listener.

A listener is an address and the owner whose cart its turns fill: `--uri` for the household,
`--satellite anna=tcp://0.0.0.0:10701` for a satellite whose Assist pipeline should fill
Anna's cart (Home Assistant tells a Wyoming service nothing about the satellite, but each
Wyoming integration entry is its own address, and each satellite its own pipeline). SIGTERM
and SIGINT stop it gracefully: no new connections, running work finishes.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from contextlib import suppress
from dataclasses import dataclass
from functools import partial
from urllib.parse import urlparse

from wyoming.server import AsyncServer

from ..errors import VoiceskillError
from .handler import Connection, Limits
from .service import WyomingService

log = logging.getLogger("voiceskill.wyoming")


@dataclass(frozen=True)
class Listener:
    """Where to listen (`tcp://HOST:PORT` or `unix:///path`), and whose cart its turns fill."""

    uri: str
    owner: str

    @classmethod
    def parse(cls, text: str) -> "Listener":
        """`OWNER=URI`, as `--satellite` takes it."""
        owner, sep, uri = text.partition("=")
        if not sep or not owner.strip() or not uri.strip():
            raise VoiceskillError(f"--satellite {text!r}: use OWNER=URI, as in anna=tcp://0.0.0.0:10701")
        return cls(check_uri(uri.strip()), owner.strip())


def check_uri(uri: str) -> str:
    """A `tcp://HOST:PORT` or `unix://PATH` address, or a VoiceskillError saying how to write one."""
    parsed = urlparse(uri)
    try:
        port = parsed.port
    except ValueError:
        port = None
    if parsed.scheme == "tcp" and parsed.hostname and port:
        return uri
    if parsed.scheme == "unix" and parsed.path:
        return uri
    raise VoiceskillError(f"cannot listen on {uri!r}: use tcp://HOST:PORT (tcp://0.0.0.0:10700 for Home "
                          "Assistant on another machine) or unix:///path/to.sock")


class WyomingServer:
    """All listeners of one service; ``start`` binds them, ``stop`` closes them."""

    def __init__(self, service: WyomingService, listeners: list[Listener], limits: Limits | None = None) -> None:
        if not listeners:
            raise VoiceskillError("nothing to listen on")
        uris = [listener.uri for listener in listeners]
        if len(set(uris)) != len(uris):
            raise VoiceskillError(f"an address is given twice: {', '.join(uris)}")
        self.service, self.listeners, self.limits = service, listeners, limits or Limits()
        self.open_connections = [0]
        self._servers: list[AsyncServer] = []

    def _connection(self, owner: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> Connection:
        return Connection(reader, writer, self.service, owner, self.limits, self.open_connections)

    async def start(self) -> None:
        for listener in self.listeners:
            server = AsyncServer.from_uri(listener.uri)
            try:
                await server.start(partial(self._connection, listener.owner))
            except OSError as exc:
                await self.stop()
                raise VoiceskillError(f"cannot listen on {listener.uri}: {exc.strerror or exc}; is another "
                                      "server using it? Pick another port with --uri") from None
            self._servers.append(server)
            log.info("listening on %s (cart of %s)", listener.uri, listener.owner)

    async def stop(self) -> None:
        for server in self._servers:
            with suppress(Exception):
                await server.stop()
        self._servers = []

    async def run(self) -> None:
        """Serve until SIGTERM or SIGINT."""
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stopping.set)
        await self.start()
        try:
            await stopping.wait()
        finally:
            log.info("stopping")
            await self.stop()
            await loop.run_in_executor(None, self.service.close)
            log.info("stopped")


def serve(service: WyomingService, listeners: list[Listener], limits: Limits | None = None) -> None:
    """Run the server in this thread until SIGTERM or SIGINT."""
    asyncio.run(WyomingServer(service, listeners, limits).run())
