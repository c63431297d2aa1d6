"""Check that a webhook request really comes from Alexa before acting on it.

Amazon requires every custom skill hosted as a web service ("Host a Custom
Skill as a Web Service") to reject a request unless: the signing-certificate
URL points at Amazon's S3 bucket, the certificate chain is valid, names
``echo-api.amazon.com`` and ends at a trusted root, the RSA signature covers
the exact raw body, and the request timestamp is fresh.  We also check the
skill's application id, so another skill's traffic cannot drive our cart.
The rules follow the ASK SDK for Python (``ask_sdk_webservice_support``).

Checks run cheapest first, so a request that cannot be genuine costs us no
download: the two signature headers, the URL rules, then (from the still
unverified body) the timestamp and application id; only then is the chain
fetched (see :mod:`.alexa_certs` for its bounded cache, negative cache and
per-URL downloads), and finally the signature is checked over the raw body,
which makes the earlier body checks binding.

Only ``Signature-256`` (RSA over SHA-256) is accepted. Amazon's legacy
``Signature`` header (SHA-1) is refused unless ``allow_sha1_signature=True``
(``WebhookConfig.alexa_allow_sha1_signature``), meant only for old test tools.

Every failure raises :class:`AlexaVerificationError`; the webhook answers
HTTP 400 with its message.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import posixpath
import time
import urllib.parse
import warnings
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

from . import alexa_certs
from .alexa_certs import (  # re-exported: the public names of this module before the split
    AlexaVerificationError,
    Chain,
    ChainCache,
    default_fetch,
)

ECHO_API_DNS_NAME = "echo-api.amazon.com"
CERT_URL_HOST = "s3.amazonaws.com"
CERT_URL_PATH_PREFIX = "/echo.api/"
CERT_CHAIN_URL_HEADER = "SignatureCertChainUrl"
SIGNATURE_256_HEADER = "Signature-256"
LEGACY_SIGNATURE_HEADER = "Signature"
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
MAX_SIGNATURE_CHARS = 4096  # base64 of a 16384-bit RSA signature is under 2800 characters


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


def signature_headers(
    headers: Mapping[str, str], allow_sha1: bool = False
) -> tuple[str, str, hashes.HashAlgorithm]:
    """Return (cert URL, base64 signature, hash): Signature-256, or legacy SHA-1 only when allowed."""
    url = find_header(headers, CERT_CHAIN_URL_HEADER)
    if url is None:
        raise AlexaVerificationError(f"missing {CERT_CHAIN_URL_HEADER} header")
    signature = find_header(headers, SIGNATURE_256_HEADER)
    if signature is not None:
        return url.strip(), signature.strip(), hashes.SHA256()
    legacy = find_header(headers, LEGACY_SIGNATURE_HEADER)
    if legacy is not None and allow_sha1:
        return url.strip(), legacy.strip(), hashes.SHA1()
    if legacy is not None:
        raise AlexaVerificationError(
            f"missing {SIGNATURE_256_HEADER} header (the legacy SHA-1 {LEGACY_SIGNATURE_HEADER} header is refused)"
        )
    raise AlexaVerificationError(f"missing {SIGNATURE_256_HEADER} header")


def decode_signature(signature_b64: str) -> bytes:
    """Decode before any download, so a malformed header costs nothing."""
    if len(signature_b64) > MAX_SIGNATURE_CHARS:
        raise AlexaVerificationError("signature header is too long")
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError):
        raise AlexaVerificationError("signature header is not valid base64") from None
    if not signature:
        raise AlexaVerificationError("signature header is empty")
    return signature


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


def parse_chain(pem: bytes) -> Chain:
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


def check_signature(leaf: x509.Certificate, signature: bytes, body: bytes, algorithm: hashes.HashAlgorithm) -> None:
    """The signature must cover the exact raw bytes: re-serialised JSON would not match."""
    key = leaf.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise AlexaVerificationError("signing certificate does not hold an RSA key")
    try:
        key.verify(signature, bytes(body), padding.PKCS1v15(), algorithm)
    except InvalidSignature:
        raise AlexaVerificationError("signature does not match the request body") from None


def parse_body(body: bytes) -> dict[str, Any]:
    """Parse the body (verified later by the signature); Alexa always sends a JSON object."""
    try:
        payload = json.loads(body)
    except ValueError:  # includes JSONDecodeError and UnicodeDecodeError
        raise AlexaVerificationError("request body is not valid JSON") from None
    except RecursionError:
        raise AlexaVerificationError("request body is nested too deeply") from None
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
    ``allow_sha1_signature`` accepts the legacy SHA-1 ``Signature`` header when
    ``Signature-256`` is absent (off by default). The ``cache_*`` and
    ``max_fetches`` fields bound the chain cache (see :class:`ChainCache`).
    """

    application_ids: frozenset[str] = frozenset()
    trusted_roots: list[x509.Certificate] | None = None
    fetch: Callable[[str], bytes] = default_fetch
    clock: Callable[[], float] = time.time
    tolerance_s: float = 150.0
    allow_sha1_signature: bool = False
    cache_size: int = alexa_certs.MAX_ENTRIES
    cache_max_age_s: float = alexa_certs.MAX_AGE_S
    negative_ttl_s: float = alexa_certs.NEGATIVE_TTL_S
    max_fetches: int = alexa_certs.MAX_FETCHES
    _store: Store = field(init=False, repr=False)
    _chains: ChainCache = field(init=False, repr=False)

    def __post_init__(self) -> None:
        """Build the root store once; it is immutable and reused for every request."""
        self.application_ids = frozenset(self.application_ids)
        roots = self.trusted_roots if self.trusted_roots is not None else load_system_roots()
        if not roots:
            raise AlexaVerificationError("no trusted root certificates given")
        self._store = Store(list(roots))
        self._chains = ChainCache(
            self.fetch, self._validated_chain, self.clock, max_entries=self.cache_size,
            max_age_s=self.cache_max_age_s, negative_ttl_s=self.negative_ttl_s, max_fetches=self.max_fetches,
        )

    def verify(self, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
        """Return the parsed body of a genuine Alexa request, else raise AlexaVerificationError."""
        url, signature_b64, algorithm = signature_headers(headers, self.allow_sha1_signature)
        signature = decode_signature(signature_b64)
        check_cert_url(url)
        payload = parse_body(body)
        now_s = self.clock()
        self._check_timestamp(payload, now_s)
        self._check_application_id(payload)
        leaf, _ = self._chains.get(url)  # the only step that may download
        check_signature(leaf, signature, body, algorithm)
        return payload

    def cached_chains(self) -> int:
        """How many validated chains are held now (for tests and monitoring)."""
        return len(self._chains)

    def _validated_chain(self, pem: bytes, now: dt.datetime) -> Chain:
        """Parse and check a downloaded chain; the cache keeps it only if this passes."""
        leaf, intermediates = parse_chain(pem)
        self._check_certificates(leaf, intermediates, now)
        return leaf, intermediates

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
