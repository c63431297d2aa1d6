"""Alexa request verification against a throw-away PKI built in memory (no network, no files)."""

from __future__ import annotations

import base64
import datetime as dt
import http.server
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from voiceskill.webhook.alexa_certs import MAX_CHAIN_BYTES
from voiceskill.webhook.alexa_verify import AlexaVerificationError, AlexaVerifier, default_fetch

NOW = dt.datetime(2026, 1, 15, 12, 0, 0, tzinfo=dt.UTC)
CERT_URL = "https://s3.amazonaws.com/echo.api/echo-api-cert.pem"
SKILL_ID = "amzn1.ask.skill.0000-boodschappen"
CA_KEY_USAGE = x509.KeyUsage(
    digital_signature=False, content_commitment=False, key_encipherment=False, data_encipherment=False,
    key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False,
)
LEAF_KEY_USAGE = x509.KeyUsage(
    digital_signature=True, content_commitment=False, key_encipherment=True, data_encipherment=False,
    key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False,
)


def _cert(
    subject: str, key: Any, issuer: x509.Certificate | None, issuer_key: Any, *,
    ca: bool, san: list[str] | None = None, days: tuple[int, int] = (-30, 300),
) -> x509.Certificate:
    """One certificate with the extensions the Web PKI policy of cryptography insists on."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW + dt.timedelta(days=days[0]))
        .not_valid_after(NOW + dt.timedelta(days=days[1]))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=ca)
        .add_extension(CA_KEY_USAGE if ca else LEAF_KEY_USAGE, critical=True)
        .add_extension(ski, critical=False)
    )
    signer_pub = (issuer_key if issuer else key).public_key()
    builder = builder.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_pub), critical=False)
    if not ca:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in san]), critical=False)
    return builder.sign(issuer_key if issuer else key, hashes.SHA256())


def _pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


@dataclass
class PKI:
    root: x509.Certificate
    other_root: x509.Certificate
    leaf_key: rsa.RSAPrivateKey
    other_key: rsa.RSAPrivateKey
    chain: bytes
    expired_chain: bytes
    no_san_chain: bytes


@pytest.fixture(scope="session")
def pki() -> PKI:
    """Root -> intermediate -> leaf (RSA, signs bodies); EC CA keys keep key generation fast."""
    root_key, inter_key, other_root_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    leaf_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root = _cert("Test Root CA", root_key, None, None, ca=True, days=(-365, 3650))
    other_root = _cert("Other Root CA", other_root_key, None, None, ca=True, days=(-365, 3650))
    inter = _cert("Test Intermediate CA", inter_key, root, root_key, ca=True, days=(-365, 1825))
    leaf = _cert("echo-api.amazon.com", leaf_key, inter, inter_key, ca=False, san=["echo-api.amazon.com"])
    expired = _cert("echo-api.amazon.com", leaf_key, inter, inter_key, ca=False,
                    san=["echo-api.amazon.com"], days=(-300, -1))
    no_san = _cert("echo-api.amazon.com", leaf_key, inter, inter_key, ca=False, san=["example.com"])
    return PKI(root, other_root, leaf_key, other_key, _pem(leaf, inter), _pem(expired, inter), _pem(no_san, inter))


@dataclass
class FakeFetch:
    """Serves one PEM chain for every URL and remembers which URLs were asked for."""

    pem: bytes
    calls: list[str] = field(default_factory=list)

    def __call__(self, url: str) -> bytes:
        self.calls.append(url)
        return self.pem


def make_verifier(pki: PKI, pem: bytes | None = None, **kwargs: Any) -> tuple[AlexaVerifier, FakeFetch]:
    fetch = FakeFetch(pki.chain if pem is None else pem)
    kwargs.setdefault("trusted_roots", [pki.root])
    kwargs.setdefault("application_ids", frozenset({SKILL_ID}))
    return AlexaVerifier(fetch=fetch, clock=NOW.timestamp, **kwargs), fetch


def make_body(offset_s: float = 0, request_type: str = "IntentRequest", app_id: str = SKILL_ID) -> bytes:
    stamp = (NOW + dt.timedelta(seconds=offset_s)).strftime("%Y-%m-%dT%H:%M:%SZ")
    payload = {
        "version": "1.0",
        "session": {"application": {"applicationId": app_id}},
        "context": {"System": {"application": {"applicationId": app_id}}},
        "request": {"type": request_type, "requestId": "r1", "timestamp": stamp, "locale": "nl-NL"},
    }
    return json.dumps(payload).encode()


def sign(key: rsa.RSAPrivateKey, body: bytes, algorithm: hashes.HashAlgorithm | None = None) -> str:
    return base64.b64encode(key.sign(body, padding.PKCS1v15(), algorithm or hashes.SHA256())).decode()


def make_headers(key: rsa.RSAPrivateKey, body: bytes, url: str = CERT_URL) -> dict[str, str]:
    return {"SignatureCertChainUrl": url, "Signature-256": sign(key, body)}


def rejected(verifier: AlexaVerifier, headers: dict[str, str], body: bytes) -> str:
    with pytest.raises(AlexaVerificationError) as info:
        verifier.verify(headers, body)
    return str(info.value)


def test_valid_request_returns_payload(pki: PKI) -> None:
    verifier, _ = make_verifier(pki)
    body = make_body()
    payload = verifier.verify(make_headers(pki.leaf_key, body), body)
    assert payload["request"]["type"] == "IntentRequest"


def test_headers_are_case_insensitive_in_plain_dict(pki: PKI) -> None:
    verifier, _ = make_verifier(pki)
    body = make_body()
    headers = {"signaturecertchainurl": CERT_URL, "SIGNATURE-256": sign(pki.leaf_key, body)}
    assert verifier.verify(headers, body)["version"] == "1.0"


def test_legacy_sha1_signature_refused_by_default(pki: PKI) -> None:
    verifier, fetch = make_verifier(pki)
    body = make_body()
    headers = {"SignatureCertChainUrl": CERT_URL, "Signature": sign(pki.leaf_key, body, hashes.SHA1())}
    assert "legacy SHA-1 Signature header is refused" in rejected(verifier, headers, body)
    assert fetch.calls == []


def test_legacy_sha1_signature_accepted_with_option(pki: PKI) -> None:
    verifier, _ = make_verifier(pki, allow_sha1_signature=True)
    body = make_body()
    headers = {"SignatureCertChainUrl": CERT_URL, "Signature": sign(pki.leaf_key, body, hashes.SHA1())}
    assert verifier.verify(headers, body)["version"] == "1.0"
    assert "signature does not match" in rejected(verifier, headers, body + b" ")


def test_signature_256_wins_over_legacy_header(pki: PKI) -> None:
    """With both headers the SHA-256 one is checked, so a bad legacy value changes nothing."""
    verifier, _ = make_verifier(pki)
    body = make_body()
    headers = {**make_headers(pki.leaf_key, body), "Signature": "bm90IGEgc2lnbmF0dXJl"}
    assert verifier.verify(headers, body)["version"] == "1.0"


def test_chain_is_fetched_once_per_url(pki: PKI) -> None:
    verifier, fetch = make_verifier(pki)
    for _ in range(2):
        body = make_body()
        verifier.verify(make_headers(pki.leaf_key, body), body)
    assert fetch.calls == [CERT_URL]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://s3.amazonaws.com/echo.api/echo-api-cert.pem", "https"),
        ("https://notamazon.com/echo.api/echo-api-cert.pem", "host"),
        ("https://s3.amazonaws.com.evil.com/echo.api/echo-api-cert.pem", "host"),
        ("https://s3.amazonaws.com/EcHo.aPi/echo-api-cert.pem", "path"),
        ("https://s3.amazonaws.com/invalid.path/echo-api-cert.pem", "path"),
        ("https://s3.amazonaws.com/echo.api/../invalid.path/echo-api-cert.pem", "path"),
        ("https://s3.amazonaws.com/echo.api/%2e%2e/invalid.path/echo-api-cert.pem", "path"),
        ("https://s3.amazonaws.com/Echo.api/echo-api-cert.pem", "path"),
        ("https://s3.amazonaws.com:8443/echo.api/echo-api-cert.pem", "port"),
    ],
)
def test_cert_url_rules(pki: PKI, url: str, message: str) -> None:
    verifier, fetch = make_verifier(pki)
    body = make_body()
    assert message in rejected(verifier, make_headers(pki.leaf_key, body, url), body)
    assert fetch.calls == []


@pytest.mark.parametrize(
    "url",
    [
        "HTTPS://S3.AMAZONAWS.COM:443/echo.api/x.pem",
        "https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert.pem",
    ],
)
def test_allowed_cert_urls(pki: PKI, url: str) -> None:
    verifier, fetch = make_verifier(pki)
    body = make_body()
    verifier.verify(make_headers(pki.leaf_key, body, url), body)
    assert fetch.calls == [url]


@pytest.mark.parametrize("missing", ["SignatureCertChainUrl", "Signature-256"])
def test_missing_headers(pki: PKI, missing: str) -> None:
    verifier, _ = make_verifier(pki)
    body = make_body()
    headers = make_headers(pki.leaf_key, body)
    del headers[missing]
    assert f"missing {missing}" in rejected(verifier, headers, body)


def test_signature_not_base64(pki: PKI) -> None:
    verifier, _ = make_verifier(pki)
    body = make_body()
    headers = {"SignatureCertChainUrl": CERT_URL, "Signature-256": "not base64!"}
    assert "base64" in rejected(verifier, headers, body)


def test_tampered_body(pki: PKI) -> None:
    verifier, _ = make_verifier(pki)
    body = make_body()
    headers = make_headers(pki.leaf_key, body)
    assert "signature does not match" in rejected(verifier, headers, body.replace(b"r1", b"r2"))


def test_reserialised_body_does_not_match(pki: PKI) -> None:
    verifier, _ = make_verifier(pki)
    body = make_body()
    headers = make_headers(pki.leaf_key, body)
    same_json = json.dumps(json.loads(body), indent=1).encode()
    assert "signature does not match" in rejected(verifier, headers, same_json)


def test_signature_by_another_key(pki: PKI) -> None:
    verifier, _ = make_verifier(pki)
    body = make_body()
    assert "signature does not match" in rejected(verifier, make_headers(pki.other_key, body), body)


def test_expired_leaf(pki: PKI) -> None:
    verifier, _ = make_verifier(pki, pki.expired_chain)
    body = make_body()
    assert "expired" in rejected(verifier, make_headers(pki.leaf_key, body), body)


def test_leaf_without_echo_api_san(pki: PKI) -> None:
    verifier, _ = make_verifier(pki, pki.no_san_chain)
    body = make_body()
    assert "SAN does not contain echo-api.amazon.com" in rejected(verifier, make_headers(pki.leaf_key, body), body)


def test_chain_to_untrusted_root(pki: PKI) -> None:
    verifier, _ = make_verifier(pki, trusted_roots=[pki.other_root])
    body = make_body()
    assert "trusted root" in rejected(verifier, make_headers(pki.leaf_key, body), body)


def test_chain_without_intermediate(pki: PKI) -> None:
    leaf_only = pki.chain.split(b"-----END CERTIFICATE-----")[0] + b"-----END CERTIFICATE-----\n"
    verifier, _ = make_verifier(pki, leaf_only)
    body = make_body()
    assert "trusted root" in rejected(verifier, make_headers(pki.leaf_key, body), body)


def test_garbage_chain(pki: PKI) -> None:
    verifier, _ = make_verifier(pki, b"<html>not a certificate</html>")
    body = make_body()
    assert "not valid PEM" in rejected(verifier, make_headers(pki.leaf_key, body), body)


@pytest.mark.parametrize(("offset", "message"), [(-151, "too old"), (151, "in the future")])
def test_timestamp_outside_tolerance(pki: PKI, offset: float, message: str) -> None:
    verifier, _ = make_verifier(pki)
    body = make_body(offset_s=offset)
    assert message in rejected(verifier, make_headers(pki.leaf_key, body), body)


def test_timestamp_within_tolerance(pki: PKI) -> None:
    verifier, _ = make_verifier(pki)
    for offset in (-149, 149):
        body = make_body(offset_s=offset)
        verifier.verify(make_headers(pki.leaf_key, body), body)


def test_skill_event_allowed_an_hour(pki: PKI) -> None:
    verifier, _ = make_verifier(pki)
    body = make_body(offset_s=-1000, request_type="AlexaSkillEvent.SkillEnabled")
    assert verifier.verify(make_headers(pki.leaf_key, body), body)["request"]["type"].endswith("SkillEnabled")
    late = make_body(offset_s=-3700, request_type="AlexaSkillEvent.SkillEnabled")
    assert "too old" in rejected(verifier, make_headers(pki.leaf_key, late), late)


def test_wrong_application_id(pki: PKI) -> None:
    verifier, _ = make_verifier(pki)
    body = make_body(app_id="amzn1.ask.skill.someone-else")
    assert "application id" in rejected(verifier, make_headers(pki.leaf_key, body), body)


def test_any_application_id_when_none_configured(pki: PKI) -> None:
    verifier, _ = make_verifier(pki, application_ids=frozenset())
    body = make_body(app_id="amzn1.ask.skill.someone-else")
    assert verifier.verify(make_headers(pki.leaf_key, body), body)


@pytest.mark.parametrize(("body", "message"), [(b"not json {", "not valid JSON"), (b"[1, 2]", "not a JSON object")])
def test_non_json_body(pki: PKI, body: bytes, message: str) -> None:
    verifier, _ = make_verifier(pki)
    assert message in rejected(verifier, make_headers(pki.leaf_key, body), body)


def test_verification_through_the_webhook(pki: PKI, tmp_path) -> None:
    """The /alexa endpoint verifies with the configured verifier: good passes, tampered gets 400."""
    from voiceskill.webhook import create_app

    verifier, _ = make_verifier(pki)
    app = create_app({"catalog": str(Path(__file__).parent / "catalogs" / "spec.csv"),
                      "db": str(tmp_path / "a.db"), "alexa_verifier": verifier})
    client = app.test_client()
    payload = json.loads(make_body())
    payload["request"]["intent"] = {"name": "BoodschapIntent", "slots": {"tekst": {"name": "tekst",
                                                                                    "value": "twee bananen"}}}
    body = json.dumps(payload).encode()
    good = client.post("/alexa", data=body, headers=make_headers(pki.leaf_key, body),
                       content_type="application/json")
    assert good.status_code == 200, good.get_json()
    assert "twee bananen" in good.get_json()["response"]["outputSpeech"]["ssml"]
    bad = client.post("/alexa", data=body + b" ", headers=make_headers(pki.leaf_key, body),
                      content_type="application/json")
    assert bad.status_code == 400 and "verification failed" in bad.get_json()["error"]


# --- Hardening (issue 10): cheap checks first, bounded cache, per-URL downloads ---------------------------

GUARD_S = 30.0  # only a guard against a hang; a correct implementation never waits this long
SLOW_URL = "https://s3.amazonaws.com/echo.api/slow.pem"
OTHER_URL = "https://s3.amazonaws.com/echo.api/other.pem"


@dataclass
class Clock:
    """Wall time the test moves by hand."""

    now: float = NOW.timestamp()

    def __call__(self) -> float:
        return self.now


class GatedFetch(FakeFetch):
    """Like FakeFetch, but a URL in ``gated`` signals ``started`` and waits for ``release``; may fail instead."""

    def __init__(self, pem: bytes, gated: tuple[str, ...] = (), error: Exception | None = None) -> None:
        super().__init__(pem)
        self.gated, self.error = gated, error
        self.started, self.release = threading.Event(), threading.Event()

    def __call__(self, url: str) -> bytes:
        self.calls.append(url)
        if url in self.gated:
            self.started.set()
            assert self.release.wait(GUARD_S)
        if self.error is not None:
            raise self.error
        return self.pem


def clocked_verifier(pki: PKI, fetch: FakeFetch, clock: Callable[[], float], **kwargs: Any) -> AlexaVerifier:
    return AlexaVerifier(fetch=fetch, clock=clock, trusted_roots=[pki.root],
                         application_ids=frozenset({SKILL_ID}), **kwargs)


def signed(pki: PKI, url: str = CERT_URL, at: float | None = None) -> tuple[dict[str, str], bytes]:
    """A genuine request for ``url`` stamped at ``at`` (the test's NOW by default)."""
    body = make_body(offset_s=0 if at is None else at - NOW.timestamp())
    return make_headers(pki.leaf_key, body, url), body


def in_thread(work: Callable[[], Any]) -> tuple[threading.Thread, threading.Event, dict[str, Any]]:
    """Run ``work``; the dict gets its result or error, the event is set when it has finished."""
    done, outcome = threading.Event(), {}

    def run() -> None:
        try:
            outcome["result"] = work()
        except Exception as exc:  # noqa: BLE001 (the test inspects it)
            outcome["error"] = exc
        finally:
            done.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, done, outcome


def _unsigned(pki: PKI) -> tuple[dict[str, str], bytes]:
    return {"SignatureCertChainUrl": CERT_URL}, make_body()


def _no_url(pki: PKI) -> tuple[dict[str, str], bytes]:
    body = make_body()
    return {"Signature-256": sign(pki.leaf_key, body)}, body


def _garbage_signature(pki: PKI) -> tuple[dict[str, str], bytes]:
    return {"SignatureCertChainUrl": CERT_URL, "Signature-256": "%%%"}, make_body()


def _stale(pki: PKI) -> tuple[dict[str, str], bytes]:
    body = make_body(offset_s=-3600)
    return make_headers(pki.leaf_key, body), body


def _future(pki: PKI) -> tuple[dict[str, str], bytes]:
    body = make_body(offset_s=3600)
    return make_headers(pki.leaf_key, body), body


def _other_skill(pki: PKI) -> tuple[dict[str, str], bytes]:
    body = make_body(app_id="amzn1.ask.skill.someone-else")
    return make_headers(pki.leaf_key, body), body


def _no_timestamp(pki: PKI) -> tuple[dict[str, str], bytes]:
    body = json.dumps({"request": {"type": "LaunchRequest"}}).encode()
    return make_headers(pki.leaf_key, body), body


def _sha1_only(pki: PKI) -> tuple[dict[str, str], bytes]:
    body = make_body()
    return {"SignatureCertChainUrl": CERT_URL, "Signature": sign(pki.leaf_key, body, hashes.SHA1())}, body


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (_unsigned, "missing Signature-256"),
        (_no_url, "missing SignatureCertChainUrl"),
        (_garbage_signature, "base64"),
        (_stale, "too old"),
        (_future, "in the future"),
        (_other_skill, "application id"),
        (_no_timestamp, "timestamp is missing"),
        (_sha1_only, "legacy SHA-1"),
    ],
)
def test_cheap_checks_refuse_before_any_fetch(
    pki: PKI, build: Callable[[PKI], tuple[dict[str, str], bytes]], message: str
) -> None:
    """A request that cannot be genuine never makes us download (the probe's 8 unsigned requests)."""
    verifier, fetch = make_verifier(pki)
    headers, body = build(pki)
    for _ in range(3):
        assert message in rejected(verifier, headers, body)
    assert fetch.calls == []


def test_slow_fetch_for_one_url_does_not_hold_other_requests(pki: PKI) -> None:
    """While URL A downloads, a cached URL, a new URL and an unsigned request all finish."""
    fetch = GatedFetch(pki.chain, gated=(SLOW_URL,))
    verifier = clocked_verifier(pki, fetch, Clock())
    verifier.verify(*signed(pki))  # CERT_URL is now cached
    slow, slow_done, slow_outcome = in_thread(lambda: verifier.verify(*signed(pki, SLOW_URL)))
    assert fetch.started.wait(GUARD_S)

    def others() -> None:
        verifier.verify(*signed(pki))
        verifier.verify(*signed(pki, OTHER_URL))
        with pytest.raises(AlexaVerificationError):
            verifier.verify(*_unsigned(pki))

    _, others_done, others_outcome = in_thread(others)
    assert others_done.wait(GUARD_S)
    assert not slow_done.is_set()  # the other requests finished while A was still downloading
    assert "error" not in others_outcome, others_outcome
    fetch.release.set()
    slow.join(GUARD_S)
    assert slow_outcome["result"]["version"] == "1.0"
    assert fetch.calls == [CERT_URL, SLOW_URL, OTHER_URL]


def test_concurrent_requests_for_one_url_share_one_download(pki: PKI) -> None:
    """Requests arriving during a download wait for it (or find its remembered failure): one fetch."""
    fetch = GatedFetch(pki.chain, gated=(SLOW_URL,), error=OSError("connection reset"))
    verifier = clocked_verifier(pki, fetch, Clock())
    first = in_thread(lambda: verifier.verify(*signed(pki, SLOW_URL)))
    assert fetch.started.wait(GUARD_S)
    followers = [in_thread(lambda: verifier.verify(*signed(pki, SLOW_URL))) for _ in range(3)]
    fetch.release.set()
    for thread, _, outcome in [first, *followers]:
        thread.join(GUARD_S)
        assert "connection reset" in str(outcome["error"])
    assert fetch.calls == [SLOW_URL]


@pytest.mark.parametrize(
    ("kind", "message"),
    [("download", "cannot download certificate chain: boom"), ("garbage", "not valid PEM"), ("expired", "expired")],
)
def test_failing_url_is_fetched_once_within_negative_ttl(pki: PKI, kind: str, message: str) -> None:
    pem = {"download": pki.chain, "garbage": b"<html/>", "expired": pki.expired_chain}[kind]
    fetch = GatedFetch(pem, error=OSError("boom") if kind == "download" else None)
    clock = Clock()
    verifier = clocked_verifier(pki, fetch, clock, negative_ttl_s=60)
    for _ in range(10):
        assert message in rejected(verifier, *signed(pki, at=clock.now))
    clock.now += 59
    assert message in rejected(verifier, *signed(pki, at=clock.now))
    assert fetch.calls == [CERT_URL]
    clock.now += 2  # the failure is forgotten: the next request tries again
    fetch.pem, fetch.error = pki.chain, None
    assert verifier.verify(*signed(pki, at=clock.now))["version"] == "1.0"
    assert fetch.calls == [CERT_URL, CERT_URL]


def test_failure_of_one_url_does_not_affect_another(pki: PKI) -> None:
    fetch = GatedFetch(b"<html/>")
    verifier = clocked_verifier(pki, fetch, Clock())
    assert "not valid PEM" in rejected(verifier, *signed(pki, SLOW_URL))
    fetch.pem = pki.chain
    assert verifier.verify(*signed(pki))["version"] == "1.0"


def test_cache_holds_at_most_cache_size_chains_lru(pki: PKI) -> None:
    verifier, fetch = make_verifier(pki, cache_size=3)
    urls = [f"https://s3.amazonaws.com/echo.api/cert-{i}.pem" for i in range(10)]
    for url in urls:
        verifier.verify(*signed(pki, url))
        assert verifier.cached_chains() <= 3
    assert verifier.cached_chains() == 3 and len(fetch.calls) == 10
    verifier.verify(*signed(pki, urls[7]))  # cached: 7 becomes the most recently used, 8 the least
    assert len(fetch.calls) == 10
    verifier.verify(*signed(pki, urls[0]))  # fetched again, evicts 8
    for url in (urls[7], urls[9], urls[0]):
        verifier.verify(*signed(pki, url))
    assert len(fetch.calls) == 11
    verifier.verify(*signed(pki, urls[8]))
    assert fetch.calls[-1] == urls[8] and verifier.cached_chains() == 3


def test_cached_chain_expires_after_max_age(pki: PKI) -> None:
    clock = Clock()
    fetch = GatedFetch(pki.chain)
    verifier = clocked_verifier(pki, fetch, clock, cache_max_age_s=100)
    verifier.verify(*signed(pki, at=clock.now))
    clock.now += 99
    verifier.verify(*signed(pki, at=clock.now))
    assert len(fetch.calls) == 1
    clock.now += 2
    verifier.verify(*signed(pki, at=clock.now))
    assert len(fetch.calls) == 2


def test_cached_chain_is_not_used_after_the_leaf_expires(pki: PKI) -> None:
    clock = Clock()
    fetch = GatedFetch(pki.chain)
    verifier = clocked_verifier(pki, fetch, clock)
    verifier.verify(*signed(pki, at=clock.now))
    clock.now += 301 * 86400  # the leaf is valid for 300 days from NOW
    assert "expired" in rejected(verifier, *signed(pki, at=clock.now))
    assert len(fetch.calls) == 2


def test_downloads_at_once_are_bounded(pki: PKI) -> None:
    """Beyond max_fetches a new URL is refused at once (and not remembered as failed)."""
    fetch = GatedFetch(pki.chain, gated=(SLOW_URL,))
    verifier = clocked_verifier(pki, fetch, Clock(), max_fetches=1)
    slow, _, outcome = in_thread(lambda: verifier.verify(*signed(pki, SLOW_URL)))
    assert fetch.started.wait(GUARD_S)
    assert "too many certificate chain downloads" in rejected(verifier, *signed(pki, OTHER_URL))
    fetch.release.set()
    slow.join(GUARD_S)
    assert outcome["result"]["version"] == "1.0"
    assert verifier.verify(*signed(pki, OTHER_URL))["version"] == "1.0"
    assert fetch.calls == [SLOW_URL, OTHER_URL]


def test_unsigned_request_through_the_webhook_is_refused_without_fetch(pki: PKI, tmp_path) -> None:
    from voiceskill.webhook import create_app

    verifier, fetch = make_verifier(pki)
    app = create_app({"catalog": str(Path(__file__).parent / "catalogs" / "spec.csv"),
                      "db": str(tmp_path / "u.db"), "alexa_verifier": verifier})
    response = app.test_client().post("/alexa", data=make_body(), headers={"SignatureCertChainUrl": CERT_URL},
                                      content_type="application/json")
    assert response.status_code == 400 and "missing Signature-256" in response.get_json()["error"]
    assert fetch.calls == []


# --- default_fetch against a local HTTP server (the URL rules are checked before, by the verifier) --------

class _ChainHandler(http.server.BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, dict[str, str], bytes]] = {}

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        status, headers, payload = self.routes.get(self.path, (404, {}, b""))
        self.send_response(status)
        for name, value in {**headers, "Content-Length": str(len(payload))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def chain_server(pki: PKI) -> Iterator[str]:
    _ChainHandler.routes = {
        "/chain.pem": (200, {}, pki.chain),
        "/huge.pem": (200, {}, b"A" * (MAX_CHAIN_BYTES + 1)),
        "/moved.pem": (302, {"Location": "/chain.pem"}, b""),
    }
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _ChainHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(GUARD_S)


def test_default_fetch_reads_a_chain(chain_server: str, pki: PKI) -> None:
    assert default_fetch(f"{chain_server}/chain.pem") == pki.chain


@pytest.mark.parametrize(("path", "message"), [("/huge.pem", "larger than"), ("/moved.pem", "redirected")])
def test_default_fetch_limits(chain_server: str, path: str, message: str) -> None:
    with pytest.raises(AlexaVerificationError, match=message):
        default_fetch(f"{chain_server}{path}")
