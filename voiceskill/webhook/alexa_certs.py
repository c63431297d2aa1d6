"""Signing-certificate chains for Alexa verification: fetched once, cached within bounds.

Why a module of its own: the cache is where a hostile caller could hurt the server
(many URLs, slow downloads, repeated failures), so its limits live in one place:

* at most ``max_entries`` validated chains (LRU), each until the earliest ``notAfter``
  in the chain or ``max_age_s`` after it was fetched, whichever comes first;
* a failed download or validation is remembered per URL for ``negative_ttl_s`` and
  answered at once with the same message (at most ``max_negative`` such URLs);
* one download per URL at a time ("single flight"): concurrent requests for that URL
  wait for its result, requests for other URLs are never held by it;
* at most ``max_fetches`` downloads at once; a request that would start another is
  refused immediately instead of tying up a server thread;
* :func:`default_fetch` gives up after :data:`FETCH_TIMEOUT_S` (checked between reads,
  each read bounded by :data:`SOCKET_TIMEOUT_S`) and :data:`MAX_CHAIN_BYTES`.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import urllib.request
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from cryptography import x509

from voiceskill.errors import VoiceskillError

FETCH_TIMEOUT_S = 3.0
SOCKET_TIMEOUT_S = 1.5
MAX_CHAIN_BYTES = 64 * 1024
MAX_ENTRIES = 16
MAX_AGE_S = 24 * 3600.0
NEGATIVE_TTL_S = 60.0
MAX_NEGATIVE = 256
MAX_FETCHES = 2

Chain = tuple[x509.Certificate, list[x509.Certificate]]


class AlexaVerificationError(VoiceskillError):
    """Why a request was rejected (the message is safe to return to the caller)."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Refuse redirects: the URL rules only mean something for the URL we actually fetch."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        raise AlexaVerificationError(f"certificate chain URL redirected (HTTP {code}); refusing to follow")


def default_fetch(url: str) -> bytes:
    """Download the PEM chain, bounded in time and size so a slow or huge answer cannot stall us."""
    deadline = time.monotonic() + FETCH_TIMEOUT_S
    opener = urllib.request.build_opener(_NoRedirect)
    data = bytearray()
    with opener.open(url, timeout=SOCKET_TIMEOUT_S) as response:  # URL already checked
        while len(data) <= MAX_CHAIN_BYTES:
            if time.monotonic() > deadline:
                raise AlexaVerificationError(f"certificate chain download took longer than {FETCH_TIMEOUT_S:g} s")
            chunk = response.read1(MAX_CHAIN_BYTES + 1 - len(data))
            if not chunk:
                break
            data += chunk
    if len(data) > MAX_CHAIN_BYTES:
        raise AlexaVerificationError(f"certificate chain is larger than {MAX_CHAIN_BYTES} bytes")
    return bytes(data)


@dataclass
class _Entry:
    chain: Chain
    expires_s: float


@dataclass
class _Failure:
    message: str
    until_s: float


@dataclass
class _Flight:
    """One download in progress; followers wait on ``done`` and then read the outcome."""

    done: threading.Event = field(default_factory=threading.Event)
    chain: Chain | None = None
    error: str = "certificate chain download was interrupted"

    def outcome(self) -> Chain:
        if self.chain is None:
            raise AlexaVerificationError(self.error)
        return self.chain


class ChainCache:
    """Validated chains by URL; ``validate(pem, now)`` parses and checks a downloaded chain.

    ``clock`` is wall time in seconds (the verifier's, so tests control expiry).
    """

    def __init__(
        self,
        fetch: Callable[[str], bytes],
        validate: Callable[[bytes, dt.datetime], Chain],
        clock: Callable[[], float],
        *,
        max_entries: int = MAX_ENTRIES,
        max_age_s: float = MAX_AGE_S,
        negative_ttl_s: float = NEGATIVE_TTL_S,
        max_negative: int = MAX_NEGATIVE,
        max_fetches: int = MAX_FETCHES,
        wait_s: float = 2 * FETCH_TIMEOUT_S + 2 * SOCKET_TIMEOUT_S,
    ) -> None:
        if max_entries < 1 or max_negative < 1 or max_fetches < 1:
            raise ValueError("cache bounds must be at least 1")
        self._fetch, self._validate, self._clock = fetch, validate, clock
        self.max_entries, self.max_age_s = max_entries, max_age_s
        self.negative_ttl_s, self.max_negative = negative_ttl_s, max_negative
        self.max_fetches, self.wait_s = max_fetches, wait_s
        self._guard = threading.Lock()  # held only for dict operations, never while fetching
        self._good: OrderedDict[str, _Entry] = OrderedDict()
        self._bad: OrderedDict[str, _Failure] = OrderedDict()
        self._flights: dict[str, _Flight] = {}

    def __len__(self) -> int:
        """How many validated chains are held (bounded by ``max_entries``)."""
        with self._guard:
            return len(self._good)

    def get(self, url: str) -> Chain:
        """The validated chain for ``url``; raises AlexaVerificationError (possibly a remembered one)."""
        with self._guard:
            chain = self._lookup(url, self._clock())
            if chain is not None:
                return chain
            flight = self._flights.get(url)
            leader = flight is None
            if flight is None:
                if len(self._flights) >= self.max_fetches:
                    raise AlexaVerificationError("too many certificate chain downloads in progress; try again later")
                flight = self._flights[url] = _Flight()
        if not leader:
            if not flight.done.wait(self.wait_s):
                raise AlexaVerificationError("certificate chain download did not finish in time")
            return flight.outcome()
        try:
            flight.chain = self._load(url)
        except AlexaVerificationError as exc:
            flight.error = str(exc)
            with self._guard:
                self._remember_failure(url, flight.error)
        finally:  # also on unexpected errors, so followers never wait for a flight that has ended
            with self._guard:
                if flight.chain is not None:
                    self._store(url, flight.chain)
                del self._flights[url]
            flight.done.set()
        return flight.outcome()

    def _lookup(self, url: str, now_s: float) -> Chain | None:
        """A fresh cached chain, None when there is none, or the remembered failure raised again."""
        entry = self._good.get(url)
        if entry is not None:
            if now_s < entry.expires_s:
                self._good.move_to_end(url)
                return entry.chain
            del self._good[url]
        failure = self._bad.get(url)
        if failure is not None:
            if now_s < failure.until_s:
                raise AlexaVerificationError(failure.message)
            del self._bad[url]
        return None

    def _load(self, url: str) -> Chain:
        """Download and validate; any failure of the fetch function becomes an AlexaVerificationError."""
        try:
            pem = self._fetch(url)
        except AlexaVerificationError:
            raise
        except Exception as exc:  # noqa: BLE001 (any failure of any fetch function)
            raise AlexaVerificationError(f"cannot download certificate chain: {exc}") from None
        now_s = self._clock()
        return self._validate(pem, dt.datetime.fromtimestamp(now_s, dt.UTC))

    def _store(self, url: str, chain: Chain) -> None:
        """Keep until the first certificate of the chain expires, capped by max_age_s; evict LRU."""
        leaf, intermediates = chain
        not_after = min(cert.not_valid_after_utc.timestamp() for cert in (leaf, *intermediates))
        self._good[url] = _Entry(chain, min(not_after, self._clock() + self.max_age_s))
        self._good.move_to_end(url)
        self._bad.pop(url, None)
        while len(self._good) > self.max_entries:
            self._good.popitem(last=False)

    def _remember_failure(self, url: str, message: str) -> None:
        if self.negative_ttl_s <= 0:
            return
        self._bad[url] = _Failure(message, self._clock() + self.negative_ttl_s)
        self._bad.move_to_end(url)
        while len(self._bad) > self.max_negative:
            self._bad.popitem(last=False)
