"""Check that a webhook request really comes from Alexa before acting on it.

Amazon requires every custom skill hosted as a web service ("Host a Custom
Skill as a Web Service") to reject a request unless: the signing-certificate
URL points at Amazon's S3 bucket, the certificate chain is valid, names
``echo-api.amazon.com`` and ends at a trusted root, the RSA signature covers
the exact raw body, and the request timestamp is fresh.  We also check the
skill's application id, so another skill's traffic cannot drive our cart.
The rules follow the ASK SDK for Python (``ask_sdk_webservice_support``).

Every failure raises :class:`AlexaVerificationError`; the webhook answers
HTTP 400 with its message.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import posixpath
import threading
import warnings
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.verification import (
    DNSName,
    PolicyBuilder,
    Store,
    VerificationError,
)

from voiceskill.errors import VoiceskillError

ECHO_API_DNS_NAME = "echo-api.amazon.com"
CERT_URL_HOST = "s3.amazonaws.com"
CERT_URL_PATH_PREFIX = "/echo.api/"
CERT_CHAIN_URL_HEADER = "SignatureCertChainUrl"
SIGNATURE_256_HEADER = "Signature-256"
LEGACY_SIGNATURE_HEADER = "Signature"
FETCH_TIMEOUT_S = 5.0
MAX_CHAIN_BYTES = 64 * 1024
SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
SKILL_EVENT_TOLERANCE_S = 3600.0
# Skill events are delivered asynchronously, so Amazon allows them an hour.
SKILL_EVENTS = frozenset(
    {
        "AlexaSkillEvent.SkillEnabled",
        "AlexaSkillEvent.SkillDisabled",
        "AlexaSkillEvent.SkillPermissionChanged",
        "AlexaSkillEvent.SkillPermissionAccepted",
        "AlexaSkillEvent.SkillAccountLinked",
    }
)
_MAX_CACHED_URLS = 32  # a bound, so odd-but-valid URLs cannot grow memory forever


class AlexaVerificationError(VoiceskillError):
    """Why a request was rejected (the message is safe to return to the caller)."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Refuse redirects: the URL rules only mean something for the URL we actually fetch."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        raise AlexaVerificationError(f"certificate chain URL redirected (HTTP {code}); refusing to follow")


def default_fetch(url: str) -> bytes:
    """Download the PEM chain, bounded in time and size so a slow or huge answer cannot stall us."""
    opener = urllib.request.build_opener(_NoRedirect)
    with opener.open(url, timeout=FETCH_TIMEOUT_S) as response:  # URL already checked
        data = response.read(MAX_CHAIN_BYTES + 1)
    if len(data) > MAX_CHAIN_BYTES:
        raise AlexaVerificationError(f"certificate chain is larger than {MAX_CHAIN_BYTES} bytes")
    return data


def load_system_roots() -> list[x509.Certificate]:
    """The trusted roots when none are given: certifi's bundle if installed, else the OS bundle."""
    try:
        import certifi

        path = certifi.where()
    except ImportError:
        path = SYSTEM_CA_BUNDLE
    try:
        with warnings.catch_warnings():  # some bundled roots have old-style serial numbers
            warnings.simplefilter("ignore")
            return x509.load_pem_x509_certificates(Path(path).read_bytes())
    except (OSError, ValueError) as exc:
        raise AlexaVerificationError(f"cannot load trusted root certificates from {path}: {exc}") from None


def find_header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive lookup that also works for a plain dict (HTTP header names are case-insensitive)."""
    value = headers.get(name)
    if value:
        return value
    wanted = name.lower()
    for key, candidate in headers.items():
        if key.lower() == wanted and candidate:
            return candidate
    return None


def signature_headers(headers: Mapping[str, str]) -> tuple[str, str, hashes.HashAlgorithm]:
    """Return (cert URL, base64 signature, hash); prefer Signature-256, fall back to legacy SHA-1."""
    url = find_header(headers, CERT_CHAIN_URL_HEADER)
    if url is None:
        raise AlexaVerificationError(f"missing {CERT_CHAIN_URL_HEADER} header")
    signature = find_header(headers, SIGNATURE_256_HEADER)
    if signature is not None:
        return url.strip(), signature.strip(), hashes.SHA256()
    legacy = find_header(headers, LEGACY_SIGNATURE_HEADER)
    if legacy is not None:
        return url.strip(), legacy.strip(), hashes.SHA1()
    raise AlexaVerificationError(f"missing {SIGNATURE_256_HEADER} (or legacy {LEGACY_SIGNATURE_HEADER}) header")


def check_cert_url(url: str) -> None:
    """Amazon's URL rules, so we never fetch (let alone trust) a chain someone else hosts."""
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise AlexaVerificationError(f"SignatureCertChainUrl is not a valid URL: {exc}") from None
    if parts.scheme.lower() != "https":
        raise AlexaVerificationError("SignatureCertChainUrl must use https")
    if (parts.hostname or "").lower() != CERT_URL_HOST or parts.username or parts.password:
        raise AlexaVerificationError(f"SignatureCertChainUrl host must be {CERT_URL_HOST}")
    if port is not None and port != 443:
        raise AlexaVerificationError("SignatureCertChainUrl port must be 443")
    # Decode first so %2e%2e cannot slip a '..' past normpath.
    path = posixpath.normpath(urllib.parse.unquote(parts.path)) if parts.path else ""
    if not path.startswith(CERT_URL_PATH_PREFIX):
        raise AlexaVerificationError(f"SignatureCertChainUrl path must start with {CERT_URL_PATH_PREFIX}")


def parse_chain(pem: bytes) -> tuple[x509.Certificate, list[x509.Certificate]]:
    """Split a PEM chain into the signing (leaf) certificate and its intermediates."""
    try:
        certs = x509.load_pem_x509_certificates(pem)
    except ValueError as exc:
        raise AlexaVerificationError(f"certificate chain is not valid PEM: {exc}") from None
    return certs[0], certs[1:]


def san_dns_names(cert: x509.Certificate) -> list[str]:
    """Lower-cased DNS names of the subject alternative name extension (none if absent)."""
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    except ValueError as exc:
        raise AlexaVerificationError(f"signing certificate has malformed extensions: {exc}") from None
    return [name.lower() for name in ext.value.get_values_for_type(x509.DNSName)]


def check_signature(leaf: x509.Certificate, signature_b64: str, body: bytes, algorithm: hashes.HashAlgorithm) -> None:
    """The signature must cover the exact raw bytes: re-serialised JSON would not match."""
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError):
        raise AlexaVerificationError("signature header is not valid base64") from None
    key = leaf.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise AlexaVerificationError("signing certificate does not hold an RSA key")
    try:
        key.verify(signature, bytes(body), padding.PKCS1v15(), algorithm)
    except InvalidSignature:
        raise AlexaVerificationError("signature does not match the request body") from None


def parse_body(body: bytes) -> dict[str, Any]:
    """Parse the (already verified) body; Alexa always sends a JSON object."""
    try:
        payload = json.loads(body)
    except ValueError:  # includes JSONDecodeError and UnicodeDecodeError
        raise AlexaVerificationError("request body is not valid JSON") from None
    if not isinstance(payload, dict):
        raise AlexaVerificationError("request body is not a JSON object")
    return payload


def parse_timestamp(text: str) -> dt.datetime:
    """ISO 8601 with an optional 'Z'; a timestamp without zone is taken as UTC."""
    cleaned = text.strip()
    if cleaned[-1:] in ("Z", "z"):
        cleaned = cleaned[:-1] + "+00:00"
    try:
        stamp = dt.datetime.fromisoformat(cleaned)
    except ValueError:
        raise AlexaVerificationError("request.timestamp is not an ISO 8601 date-time") from None
    return stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=dt.UTC)


def _dig(payload: Mapping[str, Any], *keys: str) -> Any:
    """Follow nested keys, returning None when any level is missing or not an object."""
    node: Any = payload
    for key in keys:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


@dataclass
class AlexaVerifier:
    """Verifies Alexa requests; one instance per webhook, shared across threads.

    ``application_ids`` empty means any skill id is accepted: unsafe outside
    tests, since any skill's traffic (signed by Amazon too) would pass.
    """

    application_ids: frozenset[str] = frozenset()
    trusted_roots: list[x509.Certificate] | None = None
    fetch: Callable[[str], bytes] = default_fetch
    clock: Callable[[], float] = time.time
    tolerance_s: float = 150.0
    _store: Store = field(init=False, repr=False)
    _cache: dict[str, tuple[x509.Certificate, list[x509.Certificate]]] = field(
        init=False, repr=False, default_factory=dict
    )
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        """Build the root store once; it is immutable and reused for every request."""
        self.application_ids = frozenset(self.application_ids)
        roots = self.trusted_roots if self.trusted_roots is not None else load_system_roots()
        if not roots:
            raise AlexaVerificationError("no trusted root certificates given")
        self._store = Store(list(roots))

    def verify(self, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
        """Return the parsed body of a genuine Alexa request, else raise AlexaVerificationError."""
        url, signature, algorithm = signature_headers(headers)
        check_cert_url(url)
        leaf, intermediates = self._chain(url)
        now_s = self.clock()
        self._check_certificates(leaf, intermediates, dt.datetime.fromtimestamp(now_s, dt.UTC))
        check_signature(leaf, signature, body, algorithm)
        payload = parse_body(body)
        self._check_timestamp(payload, now_s)
        self._check_application_id(payload)
        return payload

    def _chain(self, url: str) -> tuple[x509.Certificate, list[x509.Certificate]]:
        """Fetch and parse the chain once per URL, until the leaf expires (Amazon asks us to cache)."""
        with self._lock:  # held while fetching, so concurrent requests do not all download
            cached = self._cache.get(url)
            if cached is not None and self.clock() <= cached[0].not_valid_after_utc.timestamp():
                return cached
            try:
                pem = self.fetch(url)
            except AlexaVerificationError:
                raise
            except Exception as exc:  # noqa: BLE001 (any failure of any fetch function)
                raise AlexaVerificationError(f"cannot download certificate chain: {exc}") from None
            chain = parse_chain(pem)
            if len(self._cache) >= _MAX_CACHED_URLS:
                self._cache.clear()
            self._cache[url] = chain
            return chain

    def _check_certificates(
        self, leaf: x509.Certificate, intermediates: list[x509.Certificate], now: dt.datetime
    ) -> None:
        """Validity, SAN and chain; the first two are also in the chain check but give clearer messages."""
        if now < leaf.not_valid_before_utc:
            raise AlexaVerificationError("signing certificate is not valid yet")
        if now > leaf.not_valid_after_utc:
            raise AlexaVerificationError("signing certificate has expired")
        if ECHO_API_DNS_NAME not in san_dns_names(leaf):
            raise AlexaVerificationError(f"signing certificate SAN does not contain {ECHO_API_DNS_NAME}")
        verifier = PolicyBuilder().store(self._store).time(now).build_server_verifier(DNSName(ECHO_API_DNS_NAME))
        try:
            verifier.verify(leaf, intermediates)
        except (VerificationError, ValueError) as exc:
            raise AlexaVerificationError(f"certificate chain does not validate to a trusted root: {exc}") from None

    def _check_timestamp(self, payload: Mapping[str, Any], now_s: float) -> None:
        """Reject stale or future requests so a captured request cannot be replayed later."""
        raw = _dig(payload, "request", "timestamp")
        if not isinstance(raw, str):
            raise AlexaVerificationError("request.timestamp is missing")
        skew = parse_timestamp(raw).timestamp() - now_s
        tolerance = self.tolerance_s
        if _dig(payload, "request", "type") in SKILL_EVENTS:
            tolerance = max(tolerance, SKILL_EVENT_TOLERANCE_S)
        if skew < -tolerance:
            raise AlexaVerificationError(f"request.timestamp is too old ({-skew:.0f} s > {tolerance:.0f} s)")
        if skew > tolerance:
            raise AlexaVerificationError(f"request.timestamp is in the future ({skew:.0f} s > {tolerance:.0f} s)")

    def _check_application_id(self, payload: Mapping[str, Any]) -> None:
        """Every application id the request names must be ours (a signed request may be for another skill)."""
        if not self.application_ids:
            return
        found = [
            _dig(payload, "session", "application", "applicationId"),
            _dig(payload, "context", "System", "application", "applicationId"),
        ]
        present = [app_id for app_id in found if app_id is not None]
        if not present:
            raise AlexaVerificationError("request carries no application id")
        for app_id in present:
            if not isinstance(app_id, str) or app_id not in self.application_ids:
                raise AlexaVerificationError(f"application id {str(app_id)[:100]!r} is not accepted by this skill")
