"""The http backend against a real registry service on loopback, over mutual TLS.

The service is a stdlib HTTPS server with its own throwaway CA that demands a client
certificate, so the certificate settings are proven by the server refusing without them.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.core.exceptions import ImproperlyConfigured

from jejak.identity import port
from jejak.identity.checks import identity_backend_configured
from jejak.identity.port import IdentityServiceUnavailable, Outcome

LOGGER = "jejak.identity.backends.http"
NIK = "3671014501800001"
NAME = "SITI AMINAH"
BORN = dt.date(1980, 1, 5)
FAMILY_CARD = "3671010101080001"


# --- a throwaway PKI ---------------------------------------------------------------------


@dataclass(frozen=True)
class Issued:
    cert: Path
    key: Path


@dataclass(frozen=True)
class Authority:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey
    path: Path

    @classmethod
    def create(cls, directory: Path, name: str) -> Authority:
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
        cert = (
            _builder(subject, subject, key)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(cert_sign=True), critical=True)
            .add_extension(ski, critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski),
                critical=False,
            )
            .sign(key, hashes.SHA256())
        )
        path = directory / f"{name}.pem"
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return cls(cert, key, path)

    def issue(self, directory: Path, name: str, *, server: bool) -> Issued:
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = (
            _builder(subject, self.cert.subject, key)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(cert_sign=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), False
            )
        )
        if server:
            san = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
        issued = Issued(directory / f"{name}.pem", directory / f"{name}.key")
        issued.cert.write_bytes(
            builder.sign(self.key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)
        )
        issued.key.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return issued


def _builder(
    subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePrivateKey
) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
    )


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


@dataclass(frozen=True)
class Pki:
    ca: Path
    server: Issued
    client: Issued
    other_ca: Path
    stranger: Issued  # a client certificate from a CA the server does not trust


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    directory = tmp_path_factory.mktemp("pki")
    ca = Authority.create(directory, "registry-ca")
    other = Authority.create(directory, "other-ca")
    return Pki(
        ca=ca.path,
        server=ca.issue(directory, "registry-server", server=True),
        client=ca.issue(directory, "jejak-client", server=False),
        other_ca=other.path,
        stranger=other.issue(directory, "stranger-client", server=False),
    )


# --- the registry service ----------------------------------------------------------------


@dataclass
class Resident:
    full_name: str
    birth_date: str
    family_card: str
    region_code: str
    deceased: bool = False


@dataclass
class Received:
    body: dict[str, Any]
    content_type: str
    client_cn: str


class RegistryServer(ThreadingHTTPServer):
    """Answers like the registry; `mode` switches it to failing in one of several ways."""

    # Worker threads are joined at server_close(); each connection has a socket timeout,
    # so a stuck one cannot hold the teardown for long.
    daemon_threads = False
    block_on_close = True

    def __init__(self, context: ssl.SSLContext, residents: dict[str, Resident]) -> None:
        super().__init__(("127.0.0.1", 0), RegistryHandler)
        self.context = context
        self.residents = residents
        self.mode = "answer"
        self.answer: bytes = b""
        self.status = 200
        self.release = threading.Event()
        self.received: list[Received] = []
        self.refused: list[BaseException] = []
        self.refusal = threading.Event()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.server_address[1]}/v1/verify"

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The handshake runs in the connection's own thread, not in the accept loop.
        request.settimeout(15)
        try:
            connection = self.context.wrap_socket(request, server_side=True)
        except OSError as exc:  # ssl.SSLError included
            self.refused.append(exc)
            self.refusal.set()
            return
        try:
            super().finish_request(connection, client_address)
        finally:
            connection.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (the timeout test) leaves a broken pipe; that is expected.
        pass


class RegistryHandler(BaseHTTPRequestHandler):
    server: RegistryServer

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length))
        peer = self.connection.getpeercert() or {}  # type: ignore[attr-defined]
        cn = dict(item[0] for item in peer.get("subject", ())).get("commonName", "")
        self.server.received.append(Received(body, self.headers["Content-Type"], cn))

        mode = self.server.mode
        if mode == "slow":
            self.server.release.wait(timeout=30)
        if mode == "raw":
            self._send(self.server.status, self.server.answer)
        else:
            self._send(200, json.dumps(self._look_up(body)).encode())

    def _look_up(self, body: dict[str, Any]) -> dict[str, str]:
        resident = self.server.residents.get(body["nik"])
        if resident is None:
            return {"result": "not_found"}
        if resident.deceased:
            return {"result": "deceased"}
        if (body["full_name"].upper(), body["birth_date"]) != (
            resident.full_name,
            resident.birth_date,
        ):
            return {"result": "no_match"}
        return {
            "result": "match",
            "family_card": resident.family_card,
            "region_code": resident.region_code,
        }

    def _send(self, status: int, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(autouse=True)
def _fresh_backend() -> Iterator[None]:
    port._backend.cache_clear()
    yield
    port._backend.cache_clear()


@pytest.fixture
def registry(pki: Pki, settings: Any) -> Iterator[RegistryServer]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki.server.cert, pki.server.key)
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(pki.ca)
    residents = {
        NIK: Resident(NAME, BORN.isoformat(), FAMILY_CARD, "36.71.01"),
        "3671010101500002": Resident(
            "BUDI SANTOSO", "1950-01-01", "3671010101080002", "36.71.01", deceased=True
        ),
    }
    server = RegistryServer(context, residents)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()

    settings.JEJAK_IDENTITY_BACKEND = "http"
    settings.JEJAK_IDENTITY_HTTP_URL = server.url
    settings.JEJAK_IDENTITY_HTTP_CA = str(pki.ca)
    settings.JEJAK_IDENTITY_HTTP_CLIENT_CERT = str(pki.client.cert)
    settings.JEJAK_IDENTITY_HTTP_CLIENT_KEY = str(pki.client.key)
    # Generous: only the timeout test wants it short, and a busy machine must not fail the rest.
    settings.JEJAK_IDENTITY_HTTP_TIMEOUT = 20
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join()


def _verify(nik: str = NIK, full_name: str = "Siti Aminah", birth_date: dt.date = BORN) -> Any:
    return port.verify(nik=nik, full_name=full_name, birth_date=birth_date)


def _assert_logged_without_personal_data(caplog: pytest.LogCaptureFixture, kind: str) -> None:
    lines = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert any(kind in line for line in lines), lines
    for line in lines:
        assert NIK not in line
        assert "siti" not in line.casefold()


# --- answers -----------------------------------------------------------------------------


def test_match_returns_the_family_card_index_and_region(registry: RegistryServer) -> None:
    verification = _verify()

    assert verification.outcome == Outcome.MATCH
    assert verification.matched
    assert verification.backend == "http"
    assert verification.family_card_index == port.family_card_index(FAMILY_CARD)
    assert verification.family_card_index != FAMILY_CARD
    assert verification.region_code == "36.71.01"


def test_the_question_is_json_and_carries_our_client_certificate(registry: RegistryServer) -> None:
    _verify()

    [received] = registry.received
    assert received.body == {"nik": NIK, "full_name": "Siti Aminah", "birth_date": "1980-01-05"}
    assert received.content_type == "application/json"
    assert received.client_cn == "jejak-client"


@pytest.mark.parametrize(
    ("nik", "full_name", "birth_date", "outcome"),
    [
        (NIK, "Siti Aminah", dt.date(1980, 1, 6), Outcome.NO_MATCH),
        (NIK, "Siti Amina", BORN, Outcome.NO_MATCH),
        ("3671019999990009", "Siti Aminah", BORN, Outcome.NOT_FOUND),
        ("3671010101500002", "Budi Santoso", dt.date(1950, 1, 1), Outcome.DECEASED),
    ],
)
def test_refusals_carry_the_registry_outcome_and_no_family_card(
    registry: RegistryServer, nik: str, full_name: str, birth_date: dt.date, outcome: Outcome
) -> None:
    verification = _verify(nik, full_name, birth_date)

    assert verification.outcome == outcome
    assert not verification.matched
    assert verification.family_card_index == ""


def test_a_match_without_a_family_card_has_no_index(registry: RegistryServer) -> None:
    registry.mode, registry.answer = "raw", b'{"result": "match"}'

    verification = _verify()

    assert verification.matched
    assert verification.family_card_index == ""
    assert verification.region_code == ""


# --- the service failing -----------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 503, 404, 400, 302])
def test_any_status_but_200_is_unavailable(
    registry: RegistryServer, caplog: pytest.LogCaptureFixture, status: int
) -> None:
    registry.mode, registry.status = "raw", status
    registry.answer = b'{"result": "match", "family_card": "3671010101080001"}'

    with pytest.raises(IdentityServiceUnavailable):
        _verify()
    _assert_logged_without_personal_data(caplog, f"status {status}")


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        (b"<html>Service Unavailable</html>", "not json"),
        (b"\xff\xfe\x00garbage", "not json"),
        (b"", "not json"),
        (b'["match"]', "not json"),
        (b"[" * 5000 + b"]" * 5000, "not json"),
        (b'{"result": "maybe"}', "unknown result"),
        (b'{"result": ["match"]}', "unknown result"),
        (b'{"outcome": "match"}', "unknown result"),
        (b'{"result": "match", "family_card": 3671010101080001}', "malformed answer"),
        (b'{"result": "match", "family_card": "1", "region_code": 36}', "malformed answer"),
        (b'{"result": "match", "pad": "' + b"x" * 70_000 + b'"}', "answer too long"),
    ],
)
def test_an_answer_we_cannot_read_is_unavailable_never_a_match(
    registry: RegistryServer, caplog: pytest.LogCaptureFixture, answer: bytes, kind: str
) -> None:
    registry.mode, registry.answer = "raw", answer

    with pytest.raises(IdentityServiceUnavailable):
        _verify()
    _assert_logged_without_personal_data(caplog, kind)


def test_a_slow_service_is_unavailable_after_the_timeout(
    registry: RegistryServer, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.JEJAK_IDENTITY_HTTP_TIMEOUT = 1
    registry.mode = "slow"

    started = time.monotonic()
    with pytest.raises(IdentityServiceUnavailable):
        _verify()
    elapsed = time.monotonic() - started

    assert registry.received, "the question reached the service, which then kept quiet"
    assert 0.9 <= elapsed < 5
    _assert_logged_without_personal_data(caplog, "timeout")


def test_a_closed_port_is_unavailable(
    registry: RegistryServer, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # A bound socket that never listens: the kernel refuses connections to its port.
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        settings.JEJAK_IDENTITY_HTTP_URL = f"https://127.0.0.1:{closed.getsockname()[1]}/"
        with pytest.raises(IdentityServiceUnavailable):
            _verify()
    _assert_logged_without_personal_data(caplog, "connection")


# --- mutual TLS --------------------------------------------------------------------------


def _assert_refused_at_handshake(registry: RegistryServer) -> None:
    assert registry.refusal.wait(timeout=15), "the server saw no failed handshake"
    assert registry.received == []


def test_without_a_client_certificate_the_service_refuses(
    registry: RegistryServer, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.JEJAK_IDENTITY_HTTP_CLIENT_CERT = ""
    settings.JEJAK_IDENTITY_HTTP_CLIENT_KEY = ""

    with pytest.raises(IdentityServiceUnavailable):
        _verify()
    _assert_refused_at_handshake(registry)
    _assert_logged_without_personal_data(caplog, "unavailable")


def test_a_client_certificate_from_another_ca_is_refused(
    registry: RegistryServer, settings: Any, pki: Pki
) -> None:
    settings.JEJAK_IDENTITY_HTTP_CLIENT_CERT = str(pki.stranger.cert)
    settings.JEJAK_IDENTITY_HTTP_CLIENT_KEY = str(pki.stranger.key)

    with pytest.raises(IdentityServiceUnavailable):
        _verify()
    _assert_refused_at_handshake(registry)


def test_a_server_certificate_from_another_ca_is_refused(
    registry: RegistryServer, settings: Any, pki: Pki, caplog: pytest.LogCaptureFixture
) -> None:
    settings.JEJAK_IDENTITY_HTTP_CA = str(pki.other_ca)

    with pytest.raises(IdentityServiceUnavailable):
        _verify()
    assert registry.received == []
    _assert_logged_without_personal_data(caplog, "tls: ")


def test_without_a_configured_ca_the_system_cas_do_not_trust_a_private_one(
    registry: RegistryServer, settings: Any
) -> None:
    settings.JEJAK_IDENTITY_HTTP_CA = ""

    with pytest.raises(IdentityServiceUnavailable):
        _verify()
    assert registry.received == []


# --- configuration -----------------------------------------------------------------------


@pytest.mark.parametrize("url", ["", "http://127.0.0.1/verify", "https://", "https://host:99999/"])
def test_a_missing_or_plain_url_is_a_configuration_error(settings: Any, url: str) -> None:
    settings.JEJAK_IDENTITY_BACKEND = "http"
    settings.JEJAK_IDENTITY_HTTP_URL = url

    with pytest.raises(ImproperlyConfigured):
        _verify()


def test_an_unreadable_certificate_file_is_a_configuration_error(
    registry: RegistryServer, settings: Any, tmp_path: Path
) -> None:
    settings.JEJAK_IDENTITY_HTTP_CLIENT_CERT = str(tmp_path / "missing.pem")

    with pytest.raises(ImproperlyConfigured):
        _verify()


def _check_ids() -> list[str]:
    return [message.id or "" for message in identity_backend_configured(None)]


def test_check_is_quiet_for_the_registry_file(settings: Any) -> None:
    settings.JEJAK_IDENTITY_BACKEND = "registry_file"
    settings.JEJAK_IDENTITY_HTTP_URL = ""

    assert _check_ids() == []


def test_check_is_quiet_for_a_complete_http_configuration(registry: RegistryServer) -> None:
    assert _check_ids() == []


def test_check_warns_about_an_http_backend_without_url_or_certificate(settings: Any) -> None:
    settings.JEJAK_IDENTITY_BACKEND = "http"
    settings.JEJAK_IDENTITY_HTTP_URL = ""
    settings.JEJAK_IDENTITY_HTTP_CLIENT_CERT = ""
    settings.JEJAK_IDENTITY_HTTP_CLIENT_KEY = ""
    settings.JEJAK_IDENTITY_HTTP_CA = "/nonexistent/ca.pem"

    assert _check_ids() == ["jejak.identity.W001", "jejak.identity.W002", "jejak.identity.W003"]


def test_check_rejects_an_unknown_backend(settings: Any) -> None:
    settings.JEJAK_IDENTITY_BACKEND = "dukcapil"

    assert _check_ids() == ["jejak.identity.E001"]
